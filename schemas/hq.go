package schemas

// scimhq's own schemas: the HQ extensions of User and Group, and the read-only Product
// resource type through which tools discover a tenant's product catalog.
const (
	HQUserURN  = "urn:ietf:params:scim:schemas:extension:scimhq:2.0:User"
	HQGroupURN = "urn:ietf:params:scim:schemas:extension:scimhq:2.0:Group"
	ProductURN = "urn:ietf:params:scim:schemas:scimhq:2.0:Product"
)

// HQ roles: independent of every product role.
const (
	HQRoleBasic = "basic"
	HQRoleAdmin = "admin"
)

// grantAttributes are the sub-attributes of a product grant: the product and the role
// in it. The canonical values of both depend on the tenant's catalog; the server fills
// them in per tenant when it serves /Schemas.
func grantAttributes(extra ...*Attribute) []*Attribute {
	return append([]*Attribute{
		{Name: "value", Required: true, CaseExact: true, EnforceCanonical: true,
			Description: "The id of a product of the tenant's catalog (see /Products)."},
		{Name: "role", CaseExact: true, EnforceCanonical: true,
			Description: "One of the product's roles; when omitted, the product's lowest role."},
	}, extra...)
}

// HQUser is the User extension of scimhq.
var HQUser = &Schema{
	ID: HQUserURN, Name: "HQUser", Description: "scimhq: HQ role and product access",
	Attributes: normalize([]*Attribute{
		{Name: "hqRole", CanonicalValues: []string{HQRoleBasic, HQRoleAdmin}, EnforceCanonical: true,
			Description: "The user's role in HQ itself: basic (dashboard and product switcher) or admin (also authentication and user management); \"basic\" when omitted. Independent of every product role."},
		{Name: "products", Type: Complex, MultiValued: true,
			Description: "The user's direct product grants.",
			SubAttributes: grantAttributes(
				&Attribute{Name: "enabled", Type: Boolean,
					Description: "false switches this product off for the user, whatever other grants say, without deactivating the user; true when omitted."},
				&Attribute{Name: "display", Mutability: ReadOnly, Description: "The product's name."},
			)},
		{Name: "access", Type: Complex, MultiValued: true, Mutability: ReadOnly,
			Description: "Computed: every product the user can use now, with the effective role (the highest of its grants), whether it is enabled, and where the grants come from.",
			SubAttributes: []*Attribute{
				{Name: "value", CaseExact: true, Mutability: ReadOnly, Description: "The product's id."},
				{Name: "display", Mutability: ReadOnly, Description: "The product's name."},
				{Name: "role", CaseExact: true, Mutability: ReadOnly, Description: "The effective role: the highest role among the product's grants."},
				{Name: "enabled", Type: Boolean, Mutability: ReadOnly, Description: "false when the user is inactive or a direct grant disables the product."},
				{Name: "sources", MultiValued: true, CaseExact: true, Mutability: ReadOnly, Description: "Where the grants come from: \"direct\", \"roles\", or \"group:<id>\"."},
			}},
	}),
}

// HQGroup is the Group extension of scimhq: products granted to every member.
var HQGroup = &Schema{
	ID: HQGroupURN, Name: "HQGroup", Description: "scimhq: products granted to every member of the group",
	Attributes: normalize([]*Attribute{
		{Name: "products", Type: Complex, MultiValued: true,
			Description:   "Product grants for every member of the group.",
			SubAttributes: grantAttributes()},
	}),
}

// Product is the schema of the read-only Product resource (a tenant's catalog entry).
var Product = &Schema{
	ID: ProductURN, Name: "Product", Description: "A product of the tenant's catalog",
	Attributes: normalize([]*Attribute{
		{Name: "displayName", Mutability: ReadOnly, Description: "The product's name."},
		{Name: "roles", MultiValued: true, CaseExact: true, Mutability: ReadOnly,
			Description: "The product's roles, ordered from lowest to highest."},
	}),
}

// ProductResourceType serves the tenant's catalog under /Products (GET only).
var ProductResourceType = &ResourceType{
	ID: "Product", Endpoint: "/Products", Description: "The products of the tenant's catalog (read-only)", Schema: Product,
}
