package resources

import (
	"strings"
	"testing"

	"github.com/scimhq/scimhq/schemas"
)

// The core schemas have no immutable singular attribute a client can write, so the rule
// is tested on a resource type made for it.
func TestKeepImmutable(t *testing.T) {
	rt := &schemas.ResourceType{ID: "Thing", Schema: &schemas.Schema{ID: "urn:test:Thing", Attributes: []*schemas.Attribute{
		{Name: "serial", Type: schemas.String, Mutability: schemas.Immutable},
		{Name: "label", Type: schemas.String, Mutability: schemas.ReadWrite},
		{Name: "origin", Type: schemas.Complex, SubAttributes: []*schemas.Attribute{
			{Name: "site", Type: schemas.String, Mutability: schemas.Immutable},
		}},
	}}}
	old := Attributes{"serial": "A1", "label": "x", "origin": Attributes{"site": "Oslo"}}

	next := Attributes{"serial": "A1", "label": "y"}
	if err := keepImmutable(rt, old, next); err != nil {
		t.Fatalf("unchanged immutable values: %v", err)
	}
	if next["origin"].(Attributes)["site"] != "Oslo" {
		t.Fatalf("an omitted immutable sub-attribute was not kept: %v", next)
	}

	next = Attributes{"label": "y"}
	if err := keepImmutable(rt, old, next); err != nil || next["serial"] != "A1" {
		t.Fatalf("an omitted immutable value was not kept: %v %v", next, err)
	}

	for _, next := range []Attributes{
		{"serial": "B2"},
		{"serial": "A1", "origin": Attributes{"site": "Bergen"}},
	} {
		err := keepImmutable(rt, old, next)
		if KindOf(err) != KindMutability || !strings.Contains(err.Error(), "immutable") {
			t.Fatalf("changing an immutable value to %v: %v, want a mutability error", next, err)
		}
	}

	// A value may be set once when there was none.
	if err := keepImmutable(rt, Attributes{}, Attributes{"serial": "C3"}); err != nil {
		t.Fatalf("setting an immutable value the first time: %v", err)
	}
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected hash format %q", h)
	}
	if h == HashPassword("correct horse") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if !VerifyPassword(h, "correct horse") || VerifyPassword(h, "wrong horse") || VerifyPassword("garbage", "x") {
		t.Fatal("VerifyPassword gives wrong answers")
	}
}

func TestETagMatches(t *testing.T) {
	for _, tc := range []struct {
		header, etag string
		want         bool
	}{
		{`W/"3"`, `W/"3"`, true},
		{`"3"`, `W/"3"`, true}, // weak comparison
		{`W/"2", W/"3"`, `W/"3"`, true},
		{`*`, `W/"3"`, true},
		{`W/"2"`, `W/"3"`, false},
		{`W/"30"`, `W/"3"`, false},
	} {
		if got := ETagMatches(tc.header, tc.etag); got != tc.want {
			t.Errorf("ETagMatches(%q, %q) = %v, want %v", tc.header, tc.etag, got, tc.want)
		}
	}
}

func TestCheckUser(t *testing.T) {
	for _, tc := range []struct {
		attrs Attributes
		ok    bool
	}{
		{Attributes{"timezone": "Europe/London", "locale": "en-US", "preferredLanguage": "en-US, en;q=0.9"}, true},
		{Attributes{"timezone": "America/Argentina/Buenos_Aires", "locale": "fr_CA", "preferredLanguage": "de"}, true},
		{Attributes{"timezone": "Mars/Olympus_Mons"}, false},
		{Attributes{"timezone": "Local"}, false},
		{Attributes{"timezone": "GMT+2 please"}, false},
		{Attributes{"locale": "english please"}, false},
		{Attributes{"locale": "en-US,fr"}, false},
		{Attributes{"preferredLanguage": "!!"}, false},
		{Attributes{"preferredLanguage": "en;q=2"}, false},
		{Attributes{"preferredLanguage": "en;q=0.5555"}, false},
		{Attributes{"preferredLanguage": "fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5, de;q=1.000"}, true},
	} {
		err := checkUser(schemas.UserResourceType, tc.attrs)
		if (err == nil) != tc.ok || (err != nil && KindOf(err) != KindInvalidValue) {
			t.Errorf("checkUser(%v) = %v, want ok=%v (else invalidValue)", tc.attrs, err, tc.ok)
		}
	}
}
