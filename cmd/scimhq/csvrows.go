package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/scimhq/scimhq/schemas"
)

// csvColumn is a column of the CSV an HQ admin fills in to onboard users (see `scimhq
// import --template`): one user per row. Headings are matched case-insensitively,
// ignoring spaces, punctuation and any "(…)" hint, against the words admins use: HQ's
// own bulk-upload file says "Name", "Last Name", "Email", "Role in Mitratech HQ" and
// "Role in the individual products".
type csvColumn struct {
	field   string   // how the code refers to it
	heading string   // what the template calls it
	what    string   // what it holds, in words for error messages
	aliases []string // normalised headings that mean it
	example string
	// required columns must be in the header: every user needs a name and an address.
	required bool
}

var csvColumns = []csvColumn{
	{"firstName", "First name", "first name", []string{"firstname", "name", "givenname", "first", "forename"}, "Ada", true},
	{"lastName", "Last name", "last name", []string{"lastname", "surname", "familyname", "last"}, "Lovelace", true},
	{"email", "Email", "e-mail address", []string{"email", "emailaddress", "mail", "workemail"}, "ada@example.com", true},
	{"hqRole", "Role in HQ (basic or admin)", "role in HQ",
		[]string{"roleinhq", "roleinmitratechhq", "hqrole", "mitratechhqrole", "role"}, "basic", false},
	{"products", "Role in the individual products (product:role; ...)", "roles in the individual products",
		[]string{"roleintheindividualproducts", "roleinindividualproducts", "roleinproducts", "individualproducts",
			"products", "product", "productroles", "productaccess"}, "hire:recruiter; perform", false},
	{"department", "Department", "department", []string{"department", "dept"}, "Engineering", false},
	{"timezone", "Time zone", "time zone", []string{"timezone", "tz", "timezonename"}, "Europe/London", false},
	{"groups", "Groups (separated by ;)", "groups", []string{"groups", "group", "groupnames"}, "Analysts; London", false},
	{"userName", "User name (if not the email)", "user name", []string{"username", "login"}, "", false},
}

// csvRow is one user to import, with the cells it came from (for error messages).
type csvRow struct {
	cells
	firstName, lastName, email, userName, hqRole, dept, tz string
	products                                               []grant
	groups                                                 []string
}

type grant struct{ product, role string }

// column is a column of the admin's file: where it is and what its heading says.
type column struct {
	index   int
	heading string
}

// String names the column as a spreadsheet shows it: column C "Email".
func (c column) String() string {
	letters := ""
	for n := c.index + 1; n > 0; n = (n - 1) / 26 {
		letters = string(rune('A'+(n-1)%26)) + letters
	}
	return fmt.Sprintf("column %s %q", letters, c.heading)
}

// rowError is a problem with one cell or line, reported in words an admin can act on.
type rowError struct {
	line int
	col  *column // nil: the problem is the whole line
	msg  string
}

func (e rowError) Error() string {
	if e.col == nil {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return fmt.Sprintf("line %d, %s: %s", e.line, e.col, e.msg)
}

// cells is one record of the file with where each field starts: a quoted field may
// span lines, and blank lines are skipped, so a record's line is not its count.
type cells struct {
	line  int   // the line the record starts on
	lines []int // the line each field starts on
	rec   []string
	cols  map[string]column // field → the admin's column
}

func (c cells) get(field string) string {
	if col, ok := c.cols[field]; ok && col.index < len(c.rec) {
		return strings.TrimSpace(c.rec[col.index])
	}
	return ""
}

// errorf is a problem with the cell of field, at the line and column the admin sees.
func (c cells) errorf(field, format string, args ...any) rowError {
	e := rowError{line: c.line, msg: fmt.Sprintf(format, args...)}
	if col, ok := c.cols[field]; ok {
		e.col = &col
		if col.index < len(c.lines) {
			e.line = c.lines[col.index]
		}
	}
	return e
}

var hint = regexp.MustCompile(`\([^)]*\)`)

func normaliseHeader(h string) string {
	h = hint.ReplaceAllString(strings.ToLower(strings.TrimPrefix(h, "\ufeff")), "")
	return strings.NewReplacer(" ", "", "_", "", "-", "", ".", "", "'", "", "’", "", "/", "").Replace(h)
}

func columnFor(heading string) *csvColumn {
	name := normaliseHeader(heading)
	for i, c := range csvColumns {
		for _, a := range c.aliases {
			if name == a {
				return &csvColumns[i]
			}
		}
	}
	return nil
}

// lineOf is where a CSV syntax error is, or fallback.
func lineOf(err error, fallback int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return fallback
}

// readHeader maps the file's header to the columns the import knows.
func readHeader(cr *csv.Reader) (map[string]column, []rowError) {
	header, err := cr.Read()
	if err == io.EOF {
		return nil, []rowError{{line: 1, msg: "the file is empty; it needs a header row (see scimhq import --template)"}}
	}
	if err != nil {
		return nil, []rowError{{line: lineOf(err, 1), msg: "the header row is not valid CSV: " + err.Error()}}
	}
	line, _ := cr.FieldPos(0)
	cols := map[string]column{}
	var errs []rowError
	for i, h := range header {
		col := column{index: i, heading: strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))}
		c := columnFor(h)
		if c == nil {
			if col.heading != "" {
				errs = append(errs, rowError{line: line, col: &col, msg: "is not a column this import knows; see scimhq import --template"})
			}
			continue
		}
		if prev, dup := cols[c.field]; dup {
			errs = append(errs, rowError{line: line, col: &col, msg: fmt.Sprintf("is the %s, like %s; keep one of them", c.what, prev)})
			continue
		}
		cols[c.field] = col
	}
	for _, c := range csvColumns {
		if _, ok := cols[c.field]; c.required && !ok {
			errs = append(errs, rowError{line: line, msg: fmt.Sprintf("the header has no column for the %s (e.g. %q)", c.what, c.heading)})
		}
	}
	return cols, errs
}

// readCSV reads and checks every row before anything is sent: it returns the rows, and
// every problem found (not only the first).
func readCSV(r io.Reader) ([]csvRow, []rowError) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cols, errs := readHeader(cr)
	if len(errs) > 0 {
		return nil, errs
	}
	var rows []csvRow
	seen := map[string]int{}
	last := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, rowError{line: lineOf(err, last+1), msg: "is not valid CSV: " + err.Error()})
			continue
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // a row of empty cells, as spreadsheets write them
		}
		c := cells{rec: rec, cols: cols, lines: make([]int, len(rec))}
		for i := range rec {
			c.lines[i], _ = cr.FieldPos(i)
		}
		c.line, last = c.lines[0], c.lines[len(rec)-1]
		row, rowErrs := parseRow(c)
		if prev, dup := seen[strings.ToLower(row.userName)]; dup && row.userName != "" {
			field := "email"
			if c.get("userName") != "" {
				field = "userName"
			}
			rowErrs = append(rowErrs, c.errorf(field, "%q is also on line %d; each user once", row.userName, prev))
		}
		seen[strings.ToLower(row.userName)] = c.line
		errs = append(errs, rowErrs...)
		rows = append(rows, row)
	}
	if len(rows) == 0 && len(errs) == 0 {
		errs = append(errs, rowError{line: last + 1, msg: "the file has no users below its header"})
	}
	return rows, errs
}

// hqRole reads the HQ role in the words of HQ's own form ("Basic users", "Admin users")
// or as the API names it; empty is basic.
func hqRole(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "s"), "user"))
	switch s {
	case "", "basic":
		return "basic", true
	case "admin", "administrator":
		return "admin", true
	}
	return "", false
}

func parseRow(c cells) (csvRow, []rowError) {
	row := csvRow{cells: c, firstName: c.get("firstName"), lastName: c.get("lastName"), email: c.get("email"),
		userName: c.get("userName"), dept: c.get("department"), tz: c.get("timezone")}
	var errs []rowError
	bad := func(field, format string, args ...any) { errs = append(errs, c.errorf(field, format, args...)) }
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
	var ok bool
	if row.hqRole, ok = hqRole(c.get("hqRole")); !ok {
		bad("hqRole", "%q is not a role in HQ; write basic or admin (or leave it empty for basic)", c.get("hqRole"))
	}
	if row.tz != "" {
		if _, err := time.LoadLocation(row.tz); err != nil || strings.EqualFold(row.tz, "local") {
			bad("timezone", "%q is not a time zone name like Europe/London", row.tz)
		}
	}
	for _, p := range splitList(c.get("products")) {
		product, role, _ := strings.Cut(p, ":")
		product, role = strings.TrimSpace(product), strings.TrimSpace(role)
		if product == "" {
			bad("products", "%q names no product; write product or product:role", p)
			continue
		}
		row.products = append(row.products, grant{product, role})
	}
	row.groups = splitList(c.get("groups"))
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

// writeTemplate writes the CSV template: the headings and one example row.
func writeTemplate(w io.Writer) error {
	cw := csv.NewWriter(w)
	var header, example []string
	for _, c := range csvColumns {
		header = append(header, c.heading)
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

// product is an entry of the server's catalog (GET /Products).
type product struct {
	ID, DisplayName string
	Roles           []string // lowest first
}

// checkProducts checks the rows' product grants against the server's catalog before
// anything is sent, and writes them as the server names them (an admin may write the
// product's name, "Hire:Recruiter", for hire:recruiter).
func checkProducts(rows []csvRow, catalog []product) []rowError {
	var errs []rowError
	for i := range rows {
		for j, g := range rows[i].products {
			k := slices.IndexFunc(catalog, func(p product) bool {
				return strings.EqualFold(p.ID, g.product) || strings.EqualFold(p.DisplayName, g.product)
			})
			if k < 0 {
				errs = append(errs, rows[i].errorf("products", "%q is not a product of this organisation; its products are: %s", g.product, productList(catalog)))
				continue
			}
			p := catalog[k]
			rows[i].products[j].product = p.ID
			if g.role == "" {
				continue // the server gives the lowest role
			}
			r := slices.IndexFunc(p.Roles, func(r string) bool { return strings.EqualFold(r, g.role) })
			if r < 0 {
				errs = append(errs, rows[i].errorf("products", "%s has no role %q; its roles, lowest first, are: %s (or write just %s for the lowest)", p.ID, g.role, strings.Join(p.Roles, ", "), p.ID))
				continue
			}
			rows[i].products[j].role = p.Roles[r]
		}
	}
	return errs
}

func productList(catalog []product) string {
	if len(catalog) == 0 {
		return "none"
	}
	var out []string
	for _, p := range catalog {
		if p.DisplayName != "" && p.DisplayName != p.ID {
			out = append(out, fmt.Sprintf("%s (%s)", p.ID, p.DisplayName))
		} else {
			out = append(out, p.ID)
		}
	}
	return strings.Join(out, ", ")
}
