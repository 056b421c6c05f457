package resources

import (
	"regexp"
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
		if _, _, err := language.ParseAcceptLanguage(pl); err != nil || strings.TrimSpace(pl) == "" || !validWeights(pl) {
			return Errorf(KindInvalidValue, "preferredLanguage %q is not a language such as \"en-US\" or a list such as \"en-US, en;q=0.9\"", pl)
		}
	}
	return nil
}

// qvalue is RFC 9110 §12.4.2's weight: 0 to 1 with at most three decimals.
var qvalue = regexp.MustCompile(`^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$`)

// validWeights checks the q= weights of an Accept-Language list, which
// language.ParseAcceptLanguage reads without bounding (it takes "en;q=2").
func validWeights(list string) bool {
	for _, part := range strings.Split(list, ",") {
		_, params, found := strings.Cut(part, ";")
		if !found {
			continue
		}
		name, q, ok := strings.Cut(strings.TrimSpace(params), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "q") || !qvalue.MatchString(strings.TrimSpace(q)) {
			return false
		}
	}
	return true
}
