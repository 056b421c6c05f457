package scim_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

// TestHQUserFormats: timezone must be an IANA zone name, locale a language tag and
// preferredLanguage an Accept-Language value (issue 5), on create and on every PATCH
// form; a rejected PATCH changes nothing.
func TestHQUserFormats(t *testing.T) {
	t.Parallel()
	c := newHQServer(t)["default"]
	valid := map[string]any{"timezone": "Europe/London", "locale": "en-US", "preferredLanguage": "en-US, en;q=0.9"}
	url := "/Users/" + idOf(t, c.Must(http.StatusCreated, http.MethodPost, "/Users", userWith("zoe@example.com", valid)).JSON(t))
	for attr, bad := range map[string][]string{
		"timezone":          {"Mars/Olympus", "Local", "", "UTC+2"},
		"locale":            {"not a tag", "en-US,fr", "x-"},
		"preferredLanguage": {"", "en;q=abc", "1234", "??"},
	} {
		for i, v := range bad {
			t.Run(fmt.Sprintf("%s %q", attr, v), func(t *testing.T) {
				r := c.Do(http.MethodPost, "/Users", userWith(fmt.Sprintf("%s%d@example.com", attr, i), map[string]any{attr: v}))
				scimtest.ExpectError(t, r, http.StatusBadRequest, "invalidValue", attr)
				for _, o := range []map[string]any{op("replace", attr, v), op("Add", attr, v), op("replace", "", map[string]any{attr: v})} {
					checkPatch(t, c, url, patchOf(o), fails(http.StatusBadRequest, "invalidValue", attr))
				}
			})
		}
	}
	after := checkPatch(t, c, url, patchOf(op("replace", "", map[string]any{"timezone": "America/Los_Angeles", "locale": "fr_CA", "preferredLanguage": "fr"})), outcome{})
	wantAttrs(t, after, map[string]any{"timezone": "America/Los_Angeles", "locale": "fr_CA", "preferredLanguage": "fr"})
}
