package resources

import (
	"strings"
	"time"
	_ "time/tzdata" // zone names validate the same on every host

	"golang.org/x/text/language"

	"github.com/scimhq/scimhq/schemas"
)

// checkUser enforces the value rules RFC 7643 §4.1.1 gives User attributes in words:
// timezone is an IANA ("Olson") zone name, locale a language tag (en-US), and
// preferredLanguage an Accept-Language value (en-US, en;q=0.9).
func checkUser(rt *schemas.ResourceType, attrs Attributes) error {
	if rt != schemas.UserResourceType {
		return nil
	}
	if tz, ok := attrs["timezone"].(string); ok {
		if _, err := time.LoadLocation(tz); err != nil || tz == "" || strings.EqualFold(tz, "local") {
			return Errorf(KindInvalidValue, "timezone %q is not an IANA time zone name such as \"Europe/London\" or \"America/Los_Angeles\"", tz)
		}
	}
	if loc, ok := attrs["locale"].(string); ok {
		if _, err := language.Parse(strings.ReplaceAll(loc, "_", "-")); err != nil || strings.ContainsAny(loc, ",;") {
			return Errorf(KindInvalidValue, "locale %q is not a language tag such as \"en-US\" or \"fr-CA\"", loc)
		}
	}
	if pl, ok := attrs["preferredLanguage"].(string); ok {
		if _, _, err := language.ParseAcceptLanguage(pl); err != nil || strings.TrimSpace(pl) == "" {
			return Errorf(KindInvalidValue, "preferredLanguage %q is not a language such as \"en-US\" or a list such as \"en-US, en;q=0.9\"", pl)
		}
	}
	return nil
}
