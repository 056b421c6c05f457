package schemas

// URNs of the schemas scimhq serves (RFC 7643 §8.7.1, §4.3) and the message schemas of
// RFC 7644 §3.
const (
	UserURN           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	ListResponseURN          = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	ErrorURN                 = "urn:ietf:params:scim:api:messages:2.0:Error"
	PatchOpURN               = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SearchRequestURN         = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	BulkRequestURN           = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	BulkResponseURN          = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	ServiceProviderConfigURN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeURN          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaURN                = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// multiValued builds the common shape of RFC 7643 §2.4 multi-valued attributes: a value
// plus display, type and primary, with the given canonical type values.
func multiValued(name, description string, valueType Type, types ...string) *Attribute {
	return &Attribute{
		Name: name, Type: Complex, MultiValued: true, Description: description,
		SubAttributes: []*Attribute{
			{Name: "value", Type: valueType, Description: "The value of the attribute."},
			{Name: "display", Description: "A human-readable name, primarily used for display purposes."},
			{Name: "type", CanonicalValues: types, Description: "A label indicating the attribute's function."},
			{Name: "primary", Type: Boolean, Description: "A Boolean value indicating the 'primary' or preferred attribute value for this attribute."},
		},
	}
}

// User is the core User schema (RFC 7643 §4.1, §8.7.1).
var User = &Schema{
	ID: UserURN, Name: "User", Description: "User Account",
	Attributes: normalize([]*Attribute{
		{Name: "userName", Required: true, Uniqueness: Server,
			Description: "Unique identifier for the User, typically used by the user to directly authenticate to the service provider."},
		{Name: "name", Type: Complex, Description: "The components of the user's real name.",
			SubAttributes: []*Attribute{
				{Name: "formatted", Description: "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."},
				{Name: "familyName", Description: "The family name of the User, or last name in most Western languages."},
				{Name: "givenName", Description: "The given name of the User, or first name in most Western languages."},
				{Name: "middleName", Description: "The middle name(s) of the User."},
				{Name: "honorificPrefix", Description: "The honorific prefix(es) of the User, or title in most Western languages."},
				{Name: "honorificSuffix", Description: "The honorific suffix(es) of the User, or suffix in most Western languages."},
			}},
		{Name: "displayName", Description: "The name of the User, suitable for display to end-users."},
		{Name: "nickName", Description: "The casual way to address the user in real life."},
		{Name: "profileUrl", Type: Reference, ReferenceTypes: []string{"external"}, Description: "A fully qualified URL pointing to a page representing the User's online profile."},
		{Name: "title", Description: "The user's title, such as \"Vice President.\""},
		{Name: "userType", Description: "Used to identify the relationship between the organization and the user."},
		{Name: "preferredLanguage", Description: "Indicates the User's preferred written or spoken language (RFC 7231 Accept-Language format)."},
		{Name: "locale", Description: "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."},
		{Name: "timezone", Description: "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."},
		{Name: "active", Type: Boolean, Description: "A Boolean value indicating the User's administrative status."},
		{Name: "password", Mutability: WriteOnly, Returned: Never, Description: "The User's cleartext password, stored only as a strong hash and never returned."},
		multiValued("emails", "Email addresses for the user.", String, "work", "home", "other"),
		multiValued("phoneNumbers", "Phone numbers for the User.", String, "work", "home", "mobile", "fax", "pager", "other"),
		multiValued("ims", "Instant messaging addresses for the User.", String, "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
		multiValued("photos", "URLs of photos of the User.", Reference, "photo", "thumbnail"),
		{Name: "addresses", Type: Complex, MultiValued: true, Description: "A physical mailing address for this User.",
			SubAttributes: []*Attribute{
				{Name: "formatted", Description: "The full mailing address, formatted for display or use with a mailing label."},
				{Name: "streetAddress", Description: "The full street address component."},
				{Name: "locality", Description: "The city or locality component."},
				{Name: "region", Description: "The state or region component."},
				{Name: "postalCode", Description: "The zip code or postal code component."},
				{Name: "country", Description: "The country name component (ISO 3166-1 alpha-2)."},
				{Name: "type", CanonicalValues: []string{"work", "home", "other"}, Description: "A label indicating the attribute's function."},
				{Name: "primary", Type: Boolean, Description: "A Boolean value indicating the 'primary' or preferred address."},
			}},
		{Name: "groups", Type: Complex, MultiValued: true, Mutability: ReadOnly,
			Description: "A list of groups to which the user belongs, either through direct membership or through nested groups.",
			SubAttributes: []*Attribute{
				{Name: "value", Mutability: ReadOnly, Description: "The identifier of the User's group."},
				{Name: "$ref", Type: Reference, ReferenceTypes: []string{"Group"}, Mutability: ReadOnly, Description: "The URI of the corresponding 'Group' resource to which the user belongs."},
				{Name: "display", Mutability: ReadOnly, Description: "A human-readable name, primarily used for display purposes."},
				{Name: "type", Mutability: ReadOnly, CanonicalValues: []string{"direct", "indirect"}, Description: "A label indicating the attribute's function, e.g., 'direct' or 'indirect'."},
			}},
		multiValued("entitlements", "A list of entitlements for the User that represent a thing the User has.", String),
		multiValued("roles", "A list of roles for the User that collectively represent who the User is.", String),
		{Name: "x509Certificates", Type: Complex, MultiValued: true, Description: "A list of certificates issued to the User.",
			SubAttributes: []*Attribute{
				{Name: "value", Type: Binary, Description: "The value of an X.509 certificate (base64)."},
				{Name: "display", Description: "A human-readable name, primarily used for display purposes."},
				{Name: "type", Description: "A label indicating the attribute's function."},
				{Name: "primary", Type: Boolean, Description: "A Boolean value indicating the 'primary' or preferred attribute value for this attribute."},
			}},
	}),
}

// Group is the core Group schema (RFC 7643 §4.2, §8.7.1).
var Group = &Schema{
	ID: GroupURN, Name: "Group", Description: "Group",
	Attributes: normalize([]*Attribute{
		{Name: "displayName", Required: true, Description: "A human-readable name for the Group."},
		{Name: "members", Type: Complex, MultiValued: true, Description: "A list of members of the Group.",
			SubAttributes: []*Attribute{
				{Name: "value", Required: true, CaseExact: true, Mutability: Immutable, Description: "Identifier of the member of this Group."},
				{Name: "$ref", Type: Reference, ReferenceTypes: []string{"User", "Group"}, Mutability: Immutable, Description: "The URI corresponding to a SCIM resource that is a member of this Group."},
				{Name: "display", Description: "A human-readable name of the member; when a client sends none, the member's displayName (or a User's userName)."},
				{Name: "type", CanonicalValues: []string{"User", "Group"}, EnforceCanonical: true, Mutability: Immutable, Description: "A label indicating the type of resource, e.g., 'User' or 'Group'."},
			}},
	}),
}

// EnterpriseUser is the Enterprise User extension (RFC 7643 §4.3).
var EnterpriseUser = &Schema{
	ID: EnterpriseUserURN, Name: "EnterpriseUser", Description: "Enterprise User",
	Attributes: normalize([]*Attribute{
		{Name: "employeeNumber", Description: "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization."},
		{Name: "costCenter", Description: "Identifies the name of a cost center."},
		{Name: "organization", Description: "Identifies the name of an organization."},
		{Name: "division", Description: "Identifies the name of a division."},
		{Name: "department", Description: "Identifies the name of a department."},
		{Name: "manager", Type: Complex, Description: "The User's manager.",
			SubAttributes: []*Attribute{
				{Name: "value", CaseExact: true, Description: "The id of the SCIM resource representing the User's manager."},
				{Name: "$ref", Type: Reference, ReferenceTypes: []string{"User"}, Description: "The URI of the SCIM resource representing the User's manager."},
				{Name: "displayName", Mutability: ReadOnly, Description: "The displayName of the User's manager."},
			}},
	}),
}

// UserResourceType and GroupResourceType are the resource types served under /Users and
// /Groups (RFC 7643 §6, §8.6).
var (
	UserResourceType = &ResourceType{
		ID: "User", Endpoint: "/Users", Description: "User Account", Schema: User,
		Extensions: []SchemaExtension{{Schema: EnterpriseUser}, {Schema: HQUser}},
	}
	GroupResourceType = &ResourceType{
		ID: "Group", Endpoint: "/Groups", Description: "Group", Schema: Group,
		Extensions: []SchemaExtension{{Schema: HQGroup}},
	}
)
