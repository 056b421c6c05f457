package scim_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scimhq/scimhq/scim/scimtest"
)

// dialectFixture is a file of testdata/patch: PATCH requests in the exact shape an
// identity provider sends them, and what they must do. The placeholders {{user}},
// {{manager}}, {{group}}, {{alice}}, {{bob}}, {{carol}} and {{dave}} stand for the ids of
// the resources TestPatchDialects creates: the user is startUser's, the group has the
// members alice, bob and carol, dave is in no group.
type dialectFixture struct {
	Source   string            `json:"_source"` // where the shape comes from
	Target   string            `json:"target"`  // "user" or "group"
	Headers  []string          `json:"headers"` // sent with every request
	Requests []json.RawMessage `json:"requests"`
	// Expect holds attribute paths (as attrAt reads them) and their values after the
	// requests; null means absent; "members" is the list of member ids.
	Expect map[string]any `json:"expect"`
	// Kept lists attributes that must be exactly as before the requests.
	Kept []string `json:"kept"`
}

func loadDialectFixture(t *testing.T, file string, ids map[string]string) dialectFixture {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for name, id := range ids {
		pairs = append(pairs, "{{"+name+"}}", id)
	}
	filled := strings.NewReplacer(pairs...).Replace(string(data))
	if strings.Contains(filled, "{{") {
		t.Fatalf("%s has an unknown placeholder", file)
	}
	var f dialectFixture
	if err := json.Unmarshal([]byte(filled), &f); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if strings.TrimSpace(f.Source) == "" || len(f.Requests) == 0 || len(f.Expect) == 0 || (f.Target != "user" && f.Target != "group") {
		t.Fatalf("%s needs a _source, a target (user or group), requests and expect", file)
	}
	return f
}

func TestPatchDialects(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "patch", "*.json"))
	if err != nil || len(files) < 20 {
		t.Fatalf("want the PATCH fixtures in testdata/patch, found %d (%v)", len(files), err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			t.Parallel()
			srv := scimtest.New(t, scimtest.Options{Policy: hqPolicy}) // app roles name HQ products
			c := srv.Client()
			ids := map[string]string{
				"manager": idOf(t, c.CreateUser("manager@example.com", map[string]any{"displayName": "The Manager"})),
				"user":    idOf(t, c.Must(http.StatusCreated, http.MethodPost, "/Users", startUser("dana@example.com", nil)).JSON(t)),
			}
			for _, name := range []string{"alice", "bob", "carol", "dave"} {
				ids[name] = idOf(t, c.CreateUser(name+"@example.com", nil))
			}
			ids["group"] = idOf(t, c.CreateGroup("Dialect Group", ids["alice"], ids["bob"], ids["carol"]))
			f := loadDialectFixture(t, file, ids)
			t.Logf("source: %s", f.Source)

			url := "/Users/" + ids["user"]
			if f.Target == "group" {
				url = "/Groups/" + ids["group"]
			}
			before := getJSON(t, c, url)
			var after map[string]any
			for _, req := range f.Requests {
				after = checkPatch(t, c, url, []byte(req), outcome{}, f.Headers...)
			}
			want := map[string]any{}
			for path, v := range f.Expect {
				if path != "members" {
					want[path] = v
					continue
				}
				var members []string
				for _, m := range v.([]any) {
					members = append(members, m.(string))
				}
				wantValues(t, after, "members", members...)
			}
			wantAttrs(t, after, want)
			for _, path := range f.Kept {
				old, ok := attrAt(before, path)
				if now, _ := attrAt(after, path); !ok || !reflect.DeepEqual(old, now) {
					t.Errorf("%s changed from %#v to %#v", path, old, now)
				}
			}
		})
	}
}
