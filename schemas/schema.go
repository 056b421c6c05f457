// Package schemas holds the SCIM schema definitions scimhq serves and validates against
// (RFC 7643 §2, §7, §8.7): the attribute model, the core User and Group schemas, the
// Enterprise User extension, and the resource types that tie them to endpoints.
//
// Everything the server advertises under /Schemas and /ResourceTypes is generated from
// these values, and the validator in package resources reads the same values, so what
// is advertised and what is enforced cannot drift apart.
package schemas

import "strings"

// Type is a SCIM attribute data type (RFC 7643 §2.3).
type Type string

const (
	String    Type = "string"
	Boolean   Type = "boolean"
	Decimal   Type = "decimal"
	Integer   Type = "integer"
	DateTime  Type = "dateTime"
	Reference Type = "reference"
	Complex   Type = "complex"
	Binary    Type = "binary"
)

// Mutability says whether and when a client may set an attribute (RFC 7643 §7).
type Mutability string

const (
	ReadOnly  Mutability = "readOnly"
	ReadWrite Mutability = "readWrite"
	Immutable Mutability = "immutable"
	WriteOnly Mutability = "writeOnly"
)

// Returned says when an attribute appears in a response (RFC 7643 §7).
type Returned string

const (
	Always    Returned = "always"
	Never     Returned = "never"
	Default   Returned = "default"
	OnRequest Returned = "request"
)

// Uniqueness is the scope in which an attribute's value must be unique (RFC 7643 §7).
type Uniqueness string

const (
	None   Uniqueness = "none"
	Server Uniqueness = "server"
	Global Uniqueness = "global"
)

// Attribute is one attribute definition. Zero values mean the RFC 7643 §2.2 defaults,
// except Mutability/Returned/Uniqueness which Normalize fills in.
type Attribute struct {
	Name            string
	Type            Type
	MultiValued     bool
	Description     string
	Required        bool
	CanonicalValues []string
	CaseExact       bool
	Mutability      Mutability
	Returned        Returned
	Uniqueness      Uniqueness
	ReferenceTypes  []string
	SubAttributes   []*Attribute

	// EnforceCanonical makes CanonicalValues a closed set: other values are rejected
	// with invalidValue. RFC 7643 treats most canonical values as suggestions (an
	// e-mail "type" may be anything), so this is opt-in per attribute.
	EnforceCanonical bool
}

// Sub returns the sub-attribute with the given name, matched case-insensitively.
func (a *Attribute) Sub(name string) *Attribute {
	return find(a.SubAttributes, name)
}

// Canonical returns the canonical spelling of v among a's canonical values, matched
// case-insensitively, and whether one matched.
func (a *Attribute) Canonical(v string) (string, bool) {
	for _, c := range a.CanonicalValues {
		if strings.EqualFold(c, v) {
			return c, true
		}
	}
	return "", false
}

// Schema is a schema definition (RFC 7643 §7).
type Schema struct {
	ID          string
	Name        string
	Description string
	Attributes  []*Attribute
}

// Attribute returns the top-level attribute with the given name, matched
// case-insensitively (RFC 7643 §2.1: attribute names are case insensitive).
func (s *Schema) Attribute(name string) *Attribute {
	return find(s.Attributes, name)
}

func find(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// normalize fills in the RFC 7643 §2.2 defaults so that readers never see an empty
// mutability, returned or uniqueness.
func normalize(attrs []*Attribute) []*Attribute {
	for _, a := range attrs {
		if a.Mutability == "" {
			a.Mutability = ReadWrite
		}
		if a.Returned == "" {
			a.Returned = Default
		}
		if a.Uniqueness == "" {
			a.Uniqueness = None
		}
		if a.Type == "" {
			a.Type = String
		}
		normalize(a.SubAttributes)
	}
	return attrs
}

// SchemaExtension links an extension schema to a resource type (RFC 7643 §6).
type SchemaExtension struct {
	Schema   *Schema
	Required bool
}

// ResourceType describes an endpoint and the schemas of its resources (RFC 7643 §6).
type ResourceType struct {
	ID          string // also the name, e.g. "User"
	Endpoint    string // e.g. "/Users"
	Description string
	Schema      *Schema
	Extensions  []SchemaExtension
}

// Extension returns the extension schema with the given URN, matched
// case-insensitively, or nil when the resource type has no such extension.
func (rt *ResourceType) Extension(urn string) *Schema {
	for _, e := range rt.Extensions {
		if strings.EqualFold(e.Schema.ID, urn) {
			return e.Schema
		}
	}
	return nil
}

// CommonAttributes are the attributes every resource has (RFC 7643 §3.1). They are not
// part of any schema's attribute list in /Schemas, but they are validated, filtered and
// returned like any other attribute.
var CommonAttributes = normalize([]*Attribute{
	{Name: "id", CaseExact: true, Mutability: ReadOnly, Returned: Always, Uniqueness: Server,
		Description: "A unique identifier for a SCIM resource as defined by the service provider."},
	{Name: "externalId", CaseExact: true,
		Description: "A String that is an identifier for the resource as defined by the provisioning client."},
	{Name: "meta", Type: Complex, Mutability: ReadOnly,
		Description: "A complex attribute containing resource metadata.",
		SubAttributes: []*Attribute{
			{Name: "resourceType", CaseExact: true, Mutability: ReadOnly, Description: "The name of the resource type of the resource."},
			{Name: "created", Type: DateTime, Mutability: ReadOnly, Description: "The DateTime that the resource was added to the service provider."},
			{Name: "lastModified", Type: DateTime, Mutability: ReadOnly, Description: "The most recent DateTime that the details of this resource were updated at the service provider."},
			{Name: "location", Type: Reference, ReferenceTypes: []string{"uri"}, CaseExact: true, Mutability: ReadOnly, Description: "The URI of the resource being returned."},
			{Name: "version", CaseExact: true, Mutability: ReadOnly, Description: "The version of the resource being returned."},
		}},
})

// Common returns the common attribute with the given name, or nil.
func Common(name string) *Attribute { return find(CommonAttributes, name) }
