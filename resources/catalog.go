package resources

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/scimhq/scimhq/schemas"
)

// Product is a product of the catalog: the products an HQ sits in front of. Roles are
// ordered from lowest to highest; a grant without a role gets the lowest.
type Product struct {
	ID          string   `yaml:"id"`
	DisplayName string   `yaml:"displayName"`
	Roles       []string `yaml:"roles"`
}

// rank is the position of role among the product's roles, or -1.
func (p Product) rank(role string) int {
	return slices.IndexFunc(p.Roles, func(r string) bool { return strings.EqualFold(r, role) })
}

// ValidateCatalog checks products as a configuration file defines them.
func ValidateCatalog(products []Product) error {
	seen := map[string]bool{}
	for _, p := range products {
		switch {
		case p.ID == "" || strings.ContainsAny(p.ID, ": \t"):
			return fmt.Errorf("product id %q must be non-empty, without spaces or ':'", p.ID)
		case seen[p.ID]:
			return fmt.Errorf("product %q is defined twice", p.ID)
		case len(p.Roles) == 0:
			return fmt.Errorf("product %q needs at least one role", p.ID)
		}
		seen[p.ID] = true
	}
	return nil
}

// subscription is a tenant's view of the catalog.
type subscription []Product

func (s subscription) find(id string) (Product, bool) {
	for _, p := range s {
		if p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}

func (s subscription) ids() string {
	ids := make([]string, len(s))
	for i, p := range s {
		ids[i] = p.ID
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// grant resolves a grant of product id with role (empty: the lowest), or explains in
// an invalidValue error what is allowed.
func (s subscription) grant(tenant, where, id, role string) (Product, string, error) {
	p, ok := s.find(id)
	if !ok {
		return p, "", Errorf(KindInvalidValue, "%s: tenant %q has no product %q; its products are: %s", where, tenant, id, s.ids())
	}
	if role == "" {
		return p, p.Roles[0], nil
	}
	i := p.rank(role)
	if i < 0 {
		return p, "", Errorf(KindInvalidValue, "%s: product %q has no role %q; its roles, lowest first, are: %s", where, id, role, strings.Join(p.Roles, ", "))
	}
	return p, p.Roles[i], nil
}

// applyHQ enforces the HQ rules on validated attributes: the HQ role defaults to
// basic; product grants (direct, by group, and core roles of the form product:role)
// name products the tenant subscribes to and roles those products have; a grant
// without a role gets the product's lowest; enabled defaults to true; display is the
// product's name.
//
// stored are the attributes before a PATCH (nil otherwise): role grants it already holds
// are not judged again, so a PATCH that does not touch them (Okta's and Entra ID's
// deactivations) never fails on a subscription that changed since they were granted.
func applyHQ(tenant string, rt *schemas.ResourceType, attrs, stored Attributes, policy Policy) error {
	products := subscription(policy.Products)
	urn := schemas.HQUserURN
	if rt == schemas.GroupResourceType {
		urn = schemas.HQGroupURN
	}
	ext, _ := attrs[urn].(Attributes)
	if rt == schemas.UserResourceType {
		if ext == nil {
			ext = Attributes{}
			attrs[urn] = ext
		}
		if _, ok := ext["hqRole"]; !ok {
			ext["hqRole"] = schemas.HQRoleBasic
		}
		if err := checkRoleGrants(tenant, attrs, stored, policy); err != nil {
			return err
		}
	}
	list, _ := ext["products"].([]any)
	seen := map[string]Attributes{}
	kept := list[:0]
	for _, item := range list {
		g, _ := item.(Attributes)
		id, _ := g["value"].(string)
		role, _ := g["role"].(string)
		p, canonical, err := products.grant(tenant, urn+":products", id, role)
		if err != nil {
			return err
		}
		g["role"] = canonical
		if rt == schemas.UserResourceType {
			g["display"] = p.DisplayName
			if _, ok := g["enabled"]; !ok {
				g["enabled"] = true
			}
		}
		// Compared only now that defaults are filled in: a PATCH add of {"value": "hire"}
		// meets the stored grant with its role, enabled and display, and adding a value
		// that is there changes nothing (RFC 7644 §3.5.2.1).
		if prev, ok := seen[id]; ok {
			if !reflect.DeepEqual(prev, g) {
				return Errorf(KindInvalidValue, "%s:products: product %q is granted twice; give each product once", urn, id)
			}
			continue
		}
		seen[id] = g
		kept = append(kept, g)
	}
	if list != nil {
		ext["products"] = kept
	}
	return nil
}

// checkRoleGrants validates the core roles that are product grants: "product:role" or
// "product" naming a product of the whole catalog. Such a grant obeys the rules of a
// direct one (the tenant's subscription, the product's roles), or Entra ID app roles
// and Okta string arrays would grant what the products attribute refuses. Other role
// values are ordinary roles.
func checkRoleGrants(tenant string, attrs, stored Attributes, policy Policy) error {
	catalog := subscription(policy.Catalog)
	if catalog == nil {
		catalog = policy.Products
	}
	held := map[string]bool{}
	storedRoles, _ := stored["roles"].([]any)
	for _, item := range storedRoles {
		if r, ok := item.(Attributes); ok {
			v, _ := r["value"].(string)
			held[v] = true
		}
	}
	roles, _ := attrs["roles"].([]any)
	for _, item := range roles {
		r, _ := item.(Attributes)
		v, _ := r["value"].(string)
		if held[v] {
			continue
		}
		id, role, _ := strings.Cut(v, ":")
		if _, ok := catalog.find(id); !ok {
			continue
		}
		if _, _, err := subscription(policy.Products).grant(tenant, "roles", id, role); err != nil {
			return err
		}
	}
	return nil
}

// accessGrant is one grant of a product to a user, from wherever it comes.
type accessGrant struct {
	product, role, source string
	disabled              bool
}

// computeAccess returns a user's effective access (the HQ extension's "access"): per
// product, the highest role among its grants; disabled when a direct grant says
// enabled: false or the user is inactive; and the grants' sources. groups maps the
// user's groups to their HQ extension attributes.
func computeAccess(r *Resource, groups map[string]Attributes, products subscription) []any {
	var grants []accessGrant
	ext, _ := r.Attributes[schemas.HQUserURN].(Attributes)
	for _, item := range listOf(ext["products"]) {
		g, _ := item.(Attributes)
		id, _ := g["value"].(string)
		role, _ := g["role"].(string)
		grants = append(grants, accessGrant{product: id, role: role, source: "direct", disabled: g["enabled"] == false})
	}
	for _, item := range listOf(r.Attributes["roles"]) {
		g, _ := item.(Attributes)
		v, _ := g["value"].(string)
		id, role, _ := strings.Cut(v, ":")
		grants = append(grants, accessGrant{product: id, role: role, source: "roles"})
	}
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, gid := range ids {
		for _, item := range listOf(groups[gid]["products"]) {
			g, _ := item.(Attributes)
			id, _ := g["value"].(string)
			role, _ := g["role"].(string)
			grants = append(grants, accessGrant{product: id, role: role, source: "group:" + gid})
		}
	}
	active := r.Attributes["active"] != false
	var out []any
	for _, p := range products {
		best, enabled, found := -1, active, false
		var sources []any
		for _, g := range grants {
			if g.product != p.ID {
				continue
			}
			found = true
			rank := 0
			if g.role != "" {
				rank = p.rank(g.role)
			}
			best = max(best, rank)
			if g.disabled {
				enabled = false
			}
			sources = append(sources, g.source)
		}
		if !found || best < 0 {
			continue
		}
		out = append(out, Attributes{"value": p.ID, "display": p.DisplayName, "role": p.Roles[best], "enabled": enabled, "sources": sources})
	}
	return out
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}
