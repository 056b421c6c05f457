// Package resources is the centre of scimhq: SCIM resources as the domain sees them, the
// rules that govern them (schema validation, mutability, uniqueness, group membership,
// tenants) and the Store interface that package storage implements. It knows neither HTTP
// (package scim) nor MongoDB (package storage).
package resources

import (
	"context"
	"fmt"
	"time"

	"github.com/scimhq/scimhq/schemas"
)

// Attributes holds a resource's attribute values keyed by their canonical schema names.
// Core attributes are top-level; an extension's attributes sit in a nested Attributes
// under the extension's schema URN, as in the JSON representation (RFC 7643 §3.3).
// Values are string, bool, int64, float64, time.Time, Attributes (complex) or []any
// (multi-valued). The common attributes id and meta, the write-only password and the
// membership attributes (Group.members, User.groups) are not in here: they have fields
// of their own on Resource.
type Attributes = map[string]any

// Resource is a stored SCIM resource.
type Resource struct {
	Type       *schemas.ResourceType
	Tenant     string
	ID         string
	Attributes Attributes
	Meta       Meta

	// PasswordHash is the PHC-format hash of a User's password; empty when none is set.
	PasswordHash string

	// Members are a Group's members. They live in their own collection so that a group
	// may have any number of them; MembersLoaded says whether this value holds them.
	Members       []Member
	MembersLoaded bool

	// Groups are the groups a User is a direct member of, computed from memberships.
	Groups []GroupRef
}

// Meta is the resource metadata the server maintains (RFC 7643 §3.1).
type Meta struct {
	Created      time.Time
	LastModified time.Time
	// Version increases with every change to the resource, including its membership.
	Version int64
}

// ETag is the weak entity tag for the version (RFC 7644 §3.14).
func (m Meta) ETag() string { return fmt.Sprintf(`W/"%d"`, m.Version) }

// Member is one member of a Group (RFC 7643 §4.2).
type Member struct {
	Value   string // the member's id
	Type    string // "User" or "Group"
	Display string
}

// GroupRef is one entry of a User's groups attribute.
type GroupRef struct {
	Value   string
	Display string
}

// ListQuery selects a page of resources (RFC 7644 §3.4.2, RFC 9865).
type ListQuery struct {
	// Filter selects the resources; nil selects all.
	Filter Filter
	// SortBy orders them (RFC 7644 §3.4.2.3); nil means creation order. Ties are broken
	// by id, so that the order is total and pages never overlap or leave gaps.
	SortBy     *Path
	Descending bool

	// StartIndex is 1-based (RFC 7644 §3.4.2.4); it is ignored with a cursor.
	StartIndex int
	// Count is the page size; 0 asks only for the total.
	Count int

	// UseCursor selects cursor pagination (RFC 9865); Cursor is the client's cursor,
	// "" for the first page.
	UseCursor bool
	Cursor    string
	// Fingerprint identifies the filter and order a cursor belongs to, so that a cursor
	// is not used with another query.
	Fingerprint string
}

// Page is one page of a list together with the number of all matching resources.
type Page struct {
	Resources    []*Resource
	TotalResults int
	// NextCursor and PreviousCursor lead to the neighbouring pages in cursor
	// pagination; empty where there is none.
	NextCursor, PreviousCursor string
}

// Deleted is a deleted user that can still be restored.
type Deleted struct {
	User      *Resource
	DeletedAt time.Time
}

// MemberTarget is what the store knows of a resource that may become a group member.
type MemberTarget struct {
	ID      string
	Type    string // "User" or "Group"
	Display string
}

// Store persists resources. Every method is scoped by tenant: no call can reach another
// tenant's data. Implementations must make Create fail with KindUniqueness when a
// server-unique value is taken (also under concurrent creates), and Replace and Delete
// fail with KindPreconditionFailed when the stored version is not the expected one.
type Store interface {
	Create(ctx context.Context, r *Resource) error
	// CreateMany creates resources of one type in one batch and returns each one's
	// error (nil when it was stored); the second result is a failure of the batch.
	CreateMany(ctx context.Context, rs []*Resource) ([]error, error)
	// Get returns the resource without its members (see Members) or groups (GroupsOf).
	Get(ctx context.Context, tenant string, rt *schemas.ResourceType, id string) (*Resource, error)
	// Replace stores r's attributes in place of version expectVersion and sets
	// r.Meta.Version. It does not change memberships.
	Replace(ctx context.Context, r *Resource, expectVersion int64) error
	// Delete removes the resource, if expectVersion is 0 or the stored version, and
	// every membership it takes part in (touching the groups that lose a member).
	Delete(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, expectVersion int64) error
	List(ctx context.Context, tenant string, rt *schemas.ResourceType, q ListQuery) (Page, error)
	// Touch records a change that lives outside the resource's document (membership)
	// by bumping its version and lastModified, if expectVersion is 0 or the stored
	// version, and returns the new meta.
	Touch(ctx context.Context, tenant string, rt *schemas.ResourceType, id string, expectVersion int64, at time.Time) (Meta, error)

	// MemberTargets returns, for those of ids that exist in the tenant as Users or
	// Groups, what a membership needs to know of them.
	MemberTargets(ctx context.Context, tenant string, ids []string) (map[string]MemberTarget, error)
	// AddMembers adds members to a group; for a member that exists already, it sets the
	// display. The group's version is the caller's to bump (Touch).
	AddMembers(ctx context.Context, tenant, groupID string, members []Member) error
	// RemoveMembers removes the members with the given ids from a group.
	RemoveMembers(ctx context.Context, tenant, groupID string, memberIDs []string) error
	// MembersAmong returns those of ids that are members of the group.
	MembersAmong(ctx context.Context, tenant, groupID string, ids []string) ([]string, error)
	// Members returns a group's members in a stable order.
	Members(ctx context.Context, tenant, groupID string) ([]Member, error)
	// GroupsOf returns, for each of memberIDs, the ids of the groups it is a direct
	// member of.
	GroupsOf(ctx context.Context, tenant string, memberIDs []string) (map[string][]string, error)
	// GroupsByID returns the tenant's groups with the given ids (without members).
	GroupsByID(ctx context.Context, tenant string, ids []string) (map[string]*Resource, error)

	// ListDeleted returns the tenant's deleted users that can be restored.
	ListDeleted(ctx context.Context, tenant string) ([]Deleted, error)
	// Restore brings a deleted user back with its memberships in groups that still exist.
	Restore(ctx context.Context, tenant, id string, at time.Time) (*Resource, error)
	// PurgeDeleted removes for good the users deleted before the given time.
	PurgeDeleted(ctx context.Context, before time.Time) (int, error)

	// ClaimEmails claims addresses for a user, failing with KindUniqueness when another
	// user of the tenant holds one; ReleaseEmails gives claims up.
	ClaimEmails(ctx context.Context, tenant, userID string, emails []string) error
	ReleaseEmails(ctx context.Context, tenant, userID string, emails []string) error

	TokenStore
}
