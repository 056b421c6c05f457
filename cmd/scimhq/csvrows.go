package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/scimhq/scimhq/schemas"
)

// The CSV an HQ admin fills in to onboard users (see `scimhq import --template`): one
// user per row. Column names are matched case-insensitively, ignoring spaces, '_' and
// '-', with the aliases people use ("First name", "Surname", "Role in HQ").
var csvColumns = []struct {
	field   string
	aliases []string
	example string
	help    string
}{
	{"firstName", []string{"firstname", "name", "givenname", "first"}, "Ada", "required"},
	{"lastName", []string{"lastname", "surname", "familyname", "last"}, "Lovelace", "required"},
	{"email", []string{"email", "emailaddress", "mail"}, "ada@example.com", "required; also the user name unless the userName column says otherwise"},
	{"userName", []string{"username", "login"}, "", "optional"},
	{"hqRole", []string{"hqrole", "roleinhq", "role"}, "basic", "basic or admin; basic when empty"},
	{"products", []string{"products", "productroles", "roleintheindividualproducts", "productaccess"}, "hire:recruiter; perform", "product:role separated by ';'; no role means the product's lowest role"},
	{"department", []string{"department", "dept"}, "Engineering", "optional"},
	{"timezone", []string{"timezone", "tz", "timezonename"}, "Europe/London", "optional; an IANA time zone"},
	{"groups", []string{"groups", "groupnames"}, "Analysts; London", "optional; group display names separated by ';' (created when missing)"},
}

// csvRow is one user to import, with the line it came from.
type csvRow struct {
	line                                                   int
	firstName, lastName, email, userName, hqRole, dept, tz string
	products                                               []grant
	groups                                                 []string
}

type grant struct{ product, role string }

// rowError is a problem with one cell, reported in words an admin can act on.
type rowError struct {
	line   int
	column string
	msg    string
}

func (e rowError) Error() string {
	if e.column == "" {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return fmt.Sprintf("line %d, column %q: %s", e.line, e.column, e.msg)
}

func normaliseHeader(h string) string {
	return strings.NewReplacer(" ", "", "_", "", "-", "", ".", "").Replace(strings.ToLower(strings.TrimSpace(h)))
}

// readCSV reads and checks every row before anything is sent: it returns the rows, or
// every problem found (not only the first).
func readCSV(r io.Reader) ([]csvRow, []rowError) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, []rowError{{line: 1, msg: "the file has no header row: " + err.Error()}}
	}
	index := map[string]int{}
	var errs []rowError
	for i, h := range header {
		name := normaliseHeader(strings.TrimPrefix(h, "\ufeff"))
		found := false
		for _, c := range csvColumns {
			for _, a := range c.aliases {
				if name == a {
					index[c.field], found = i, true
				}
			}
		}
		if !found && name != "" {
			errs = append(errs, rowError{line: 1, column: h, msg: "is not a column this import knows; see scimhq import --template"})
		}
	}
	for _, required := range []string{"firstName", "lastName", "email"} {
		if _, ok := index[required]; !ok {
			errs = append(errs, rowError{line: 1, msg: fmt.Sprintf("the header has no %s column", required)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var rows []csvRow
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, rowError{line: line, msg: "is not valid CSV: " + err.Error()})
			continue
		}
		cell := func(field string) string {
			if i, ok := index[field]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue // blank line
		}
		row, rowErrs := parseRow(line, cell)
		if prev, dup := seen[strings.ToLower(row.userName)]; dup && row.userName != "" {
			rowErrs = append(rowErrs, rowError{line: line, column: "email", msg: fmt.Sprintf("%q is also on line %d; each user once", row.userName, prev)})
		}
		seen[strings.ToLower(row.userName)] = line
		errs = append(errs, rowErrs...)
		rows = append(rows, row)
	}
	if len(rows) == 0 && len(errs) == 0 {
		errs = append(errs, rowError{line: 2, msg: "the file has no users below its header"})
	}
	return rows, errs
}

func parseRow(line int, cell func(string) string) (csvRow, []rowError) {
	row := csvRow{line: line, firstName: cell("firstName"), lastName: cell("lastName"), email: cell("email"),
		userName: cell("userName"), hqRole: strings.ToLower(cell("hqRole")), dept: cell("department"), tz: cell("timezone")}
	var errs []rowError
	bad := func(column, format string, args ...any) {
		errs = append(errs, rowError{line: line, column: column, msg: fmt.Sprintf(format, args...)})
	}
	if row.firstName == "" {
		bad("firstName", "is empty; every user needs a first name")
	}
	if row.lastName == "" {
		bad("lastName", "is empty; every user needs a last name")
	}
	if addr, err := mail.ParseAddress(row.email); row.email == "" || err != nil || addr.Address != row.email {
		bad("email", "%q is not an e-mail address like name@example.com", row.email)
	}
	if row.userName == "" {
		row.userName = row.email
	}
	switch row.hqRole {
	case "":
		row.hqRole = "basic"
	case "basic", "admin":
	default:
		bad("hqRole", "%q is not an HQ role; use basic or admin", row.hqRole)
	}
	if row.tz != "" {
		if _, err := time.LoadLocation(row.tz); err != nil || strings.EqualFold(row.tz, "local") {
			bad("timezone", "%q is not a time zone name like Europe/London", row.tz)
		}
	}
	for _, p := range splitList(cell("products")) {
		product, role, _ := strings.Cut(p, ":")
		product, role = strings.TrimSpace(product), strings.TrimSpace(role)
		if product == "" {
			bad("products", "%q names no product; write product or product:role", p)
			continue
		}
		row.products = append(row.products, grant{product, role})
	}
	row.groups = splitList(cell("groups"))
	return row, errs
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' }) {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// writeTemplate writes the CSV template: the header and one example row.
func writeTemplate(w io.Writer) error {
	cw := csv.NewWriter(w)
	var header, example []string
	for _, c := range csvColumns {
		header = append(header, c.field)
		example = append(example, c.example)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.Write(example); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// user is the SCIM representation of a row.
func (row csvRow) user() map[string]any {
	u := map[string]any{
		"schemas":         []any{schemas.UserURN, schemas.HQUserURN, schemas.EnterpriseUserURN},
		"userName":        row.userName,
		"name":            map[string]any{"givenName": row.firstName, "familyName": row.lastName},
		"emails":          []any{map[string]any{"value": row.email, "type": "work", "primary": true}},
		"active":          true,
		schemas.HQUserURN: map[string]any{"hqRole": row.hqRole, "products": row.grants()},
	}
	if row.dept != "" {
		u[schemas.EnterpriseUserURN] = map[string]any{"department": row.dept}
	}
	if row.tz != "" {
		u["timezone"] = row.tz
	}
	return u
}

func (row csvRow) grants() []any {
	out := []any{}
	for _, g := range row.products {
		m := map[string]any{"value": g.product}
		if g.role != "" {
			m["role"] = g.role
		}
		out = append(out, m)
	}
	return out
}
