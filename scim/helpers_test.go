package scim_test

import "github.com/scimhq/scimhq/schemas"

var (
	usersRT  = schemas.UserResourceType
	groupsRT = schemas.GroupResourceType
)
