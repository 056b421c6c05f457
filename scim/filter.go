package scim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// parseFilter parses a filter (RFC 7644 §3.4.2.2) and resolves it against a resource
// type's schemas: attribute names case-insensitively, URN-qualified names, and each
// comparison value to its attribute's type. Errors are invalidFilter with a detail that
// says what to fix.
func parseFilter(rt *schemas.ResourceType, raw string) (resources.Filter, error) {
	return filterResolver{rt: rt}.parse(raw)
}

// filterResolver resolves parsed filters for one resource type. In lenient mode (a
// query across resource types, RFC 7644 §3.4.2.1) an attribute the type does not have
// is treated as having no value instead of being an error.
type filterResolver struct {
	rt      *schemas.ResourceType
	lenient bool
	// valueFilters are the attr[filter] parts that parse took out (see
	// extractValueFilters), referred to by placeholder comparisons.
	valueFilters []extractedFilter
}

func (fr filterResolver) parse(raw string) (resources.Filter, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, invalidFilter("the filter is empty")
	}
	if expr, ok := simpleFilter(raw); ok {
		return fr.expression(expr)
	}
	outer, inner, err := extractValueFilters(raw)
	if err != nil {
		return nil, err
	}
	expr, err := filter.ParseFilterNumber([]byte(outer))
	if err != nil {
		return nil, syntaxError(raw, err)
	}
	fr.valueFilters = inner
	return fr.expression(expr)
}

// simpleComparison is one comparison with a quoted string or a literal value, or a
// presence test: attribute paths may be URN-qualified and dotted.
var simpleComparison = regexp.MustCompile(`^\s*([A-Za-z][\w$.-]*(?::[\w$.-]+)*)\s+(?i:(pr)|(eq|ne|co|sw|ew|gt|ge|lt|le)\s+(?:"((?:[^"\\]|\\.)*)"|(true|false|null|-?\d+(?:\.\d+)?)))\s*$`)

// simpleFilter parses, without the general parser, the filters identity providers send
// most: one comparison, or several joined by "and" (userName eq "x", id eq "x" and
// members eq "y"). The general parser costs about 100 µs and 2,000 allocations for
// even these; everything else goes to it.
func simpleFilter(raw string) (filter.Expression, bool) {
	if strings.ContainsAny(raw, "()[]") {
		return nil, false
	}
	parts := splitAnd(raw)
	var expr filter.Expression
	for _, part := range parts {
		m := simpleComparison.FindStringSubmatch(part)
		if m == nil {
			return nil, false
		}
		path, ok := attributePath(m[1])
		if !ok {
			return nil, false
		}
		e := &filter.AttributeExpression{AttributePath: path, Operator: filter.PR}
		if m[2] == "" {
			e.Operator = filter.CompareOperator(strings.ToLower(m[3]))
			switch {
			case m[5] == "true" || m[5] == "false":
				e.CompareValue = m[5] == "true"
			case m[5] == "null":
				e.CompareValue = nil
			case m[5] != "":
				e.CompareValue = json.Number(m[5])
			default:
				e.CompareValue = m[4] // escapes are resolved later, as the parser leaves them
			}
		}
		if expr == nil {
			expr = e
		} else {
			expr = &filter.LogicalExpression{Left: expr, Right: e, Operator: filter.AND}
		}
	}
	return expr, expr != nil
}

// splitAnd splits a filter at " and " outside quoted strings; it gives up (one part)
// when an " or " or " not" appears outside quotes, which need precedence.
func splitAnd(raw string) []string {
	var parts []string
	inString, start := false, 0
	// at compares case-insensitively at a byte offset of raw itself: a lower-cased copy
	// may differ in length (invalid UTF-8 becomes U+FFFD), and with it the offsets.
	at := func(i int, word string) bool {
		return len(raw)-i >= len(word) && strings.EqualFold(raw[i:i+len(word)], word)
	}
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && at(i, " or "), !inString && at(i, "not "):
			return []string{raw + "\x00"} // not simple: make the regexp fail
		case !inString && at(i, " and "):
			parts = append(parts, raw[start:i])
			start = i + 5
			i += 4
		}
	}
	return append(parts, raw[start:])
}

// attributePath splits "urn:…:name.sub" or "name.sub" as the parser would.
func attributePath(s string) (filter.AttributePath, bool) {
	var p filter.AttributePath
	rest := s
	if strings.HasPrefix(strings.ToLower(s), "urn:") {
		i := strings.LastIndexByte(s, ':')
		uri := s[:i]
		p.URIPrefix, rest = &uri, s[i+1:]
	}
	name, sub, hasSub := strings.Cut(rest, ".")
	if name == "" || (hasSub && (sub == "" || strings.Contains(sub, "."))) {
		return p, false
	}
	p.AttributeName = name
	if hasSub {
		p.SubAttribute = &sub
	}
	return p, true
}

func invalidFilter(format string, args ...any) error {
	return resources.Errorf(resources.KindInvalidFilter, format, args...)
}

var conflictAt = regexp.MustCompile(`\[(\d+):(\d+)\]`)

// syntaxError explains a parse failure: where the parser stopped, and the rule people
// most often break.
func syntaxError(raw string, err error) error {
	where := ""
	if m := conflictAt.FindStringSubmatch(err.Error()); m != nil {
		// The parser reports 1 when it backtracked to the start: not worth showing.
		if col, convErr := strconv.Atoi(m[2]); convErr == nil && col > 1 && col <= len(raw) {
			where = fmt.Sprintf(" at character %d (%q)", col+1, raw[col:])
		}
	}
	return invalidFilter("the filter %q is not valid SCIM filter syntax%s; the form is attribute operator value, e.g. userName eq \"bjensen\", with string values in double quotes and operators eq ne co sw ew gt ge lt le pr, combined with and, or, not and parentheses", raw, where)
}

// valueFilterPrefix names the placeholders that stand for value filters while the rest
// of a filter is parsed; no SCIM attribute has such a name.
const valueFilterPrefix = "scimhqValueFilter"

// extractedFilter is one attr[filter] taken out of a filter: the attribute path and
// the parsed inner filter.
type extractedFilter struct {
	attr  string
	inner filter.Expression
}

// extractValueFilters replaces each attr[filter] (and Entra ID's attr[filter].sub op
// value) in a filter by a placeholder comparison, and parses the inner filters with the
// full filter grammar. The library's own value-path rule accepts neither parentheses
// nor "and not (...)" inside the brackets, which RFC 7644's grammar allows.
func extractValueFilters(raw string) (string, []extractedFilter, error) {
	var out strings.Builder
	var found []extractedFilter
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString && c == '\\' && i+1 < len(raw):
			out.WriteByte(c)
			i++
			out.WriteByte(raw[i])
			continue
		case c == '"':
			inString = !inString
		case !inString && c == '[':
			end := closingBracket(raw, i)
			if end < 0 {
				return "", nil, invalidFilter("the filter %q is not valid SCIM filter syntax: a \"[\" has no matching \"]\"", raw)
			}
			// The attribute path is the name just before the bracket.
			prefix := out.String()
			start := strings.LastIndexAny(prefix, " (") + 1
			attr := prefix[start:]
			body := raw[i+1 : end]
			rest := raw[end+1:]
			// attr[filter].sub op value: the comparison joins the inner filter.
			if m := valuePathTail.FindStringSubmatch(rest); m != nil {
				comparison := m[1] + " pr"
				if m[2] == "" {
					comparison = m[1] + " " + m[3] + " " + m[4]
				}
				body = "(" + body + ") and " + comparison
				end += len(m[0])
			}
			inner, err := filter.ParseFilterNumber([]byte(body))
			if err != nil {
				return "", nil, syntaxError(raw, err)
			}
			out.Reset()
			out.WriteString(prefix[:start])
			fmt.Fprintf(&out, "%s%d pr", valueFilterPrefix, len(found))
			found = append(found, extractedFilter{attr: attr, inner: inner})
			i = end
			continue
		}
		out.WriteByte(c)
	}
	return out.String(), found, nil
}

// closingBracket returns the index of the "]" that closes the "[" at open, or -1.
func closingBracket(s string, open int) int {
	inString := false
	for i := open + 1; i < len(s); i++ {
		switch c := s[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && c == ']':
			return i
		}
	}
	return -1
}

// valuePathTail matches ".sub op value" after a value filter: 1 the sub-attribute,
// 2 "pr", or 3 the operator and 4 the value (a quoted string or a bare token).
var valuePathTail = regexp.MustCompile(`^\.([A-Za-z][\w$-]*)\s+(?i:(pr)|(eq|ne|co|sw|ew|gt|ge|lt|le)\s+("(?:[^"\\]|\\.)*"|[^\s()\]]+))`)

// logical resolves and, or and not, and hands every other expression to leaf.
func logical(e filter.Expression, leaf func(filter.Expression) (resources.Filter, error)) (resources.Filter, error) {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		l, err := logical(x.Left, leaf)
		if err != nil {
			return nil, err
		}
		r, err := logical(x.Right, leaf)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(string(x.Operator), "or") {
			return resources.Or{Left: l, Right: r}, nil
		}
		return resources.And{Left: l, Right: r}, nil
	case *filter.NotExpression:
		inner, err := logical(x.Expression, leaf)
		if err != nil {
			return nil, err
		}
		return resources.Not{Filter: inner}, nil
	}
	return leaf(e)
}

func (fr filterResolver) expression(e filter.Expression) (resources.Filter, error) {
	return logical(e, fr.leaf)
}

// leaf resolves one comparison (or a placeholder for a value filter).
func (fr filterResolver) leaf(e filter.Expression) (resources.Filter, error) {
	switch x := e.(type) {
	case *filter.AttributeExpression:
		if n, ok := strings.CutPrefix(x.AttributePath.AttributeName, valueFilterPrefix); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(fr.valueFilters) {
				return fr.valueFilter(fr.valueFilters[i])
			}
		}
		p, ok, err := fr.path(x.AttributePath)
		if err != nil {
			return nil, err
		}
		if !ok {
			// An attribute this type lacks has no value: only "ne" holds.
			if strings.EqualFold(string(x.Operator), "ne") {
				return resources.Not{Filter: resources.Nothing{}}, nil
			}
			return resources.Nothing{}, nil
		}
		f, err := comparison(p, x)
		if err != nil {
			return nil, err
		}
		if c, ok := f.(resources.Compare); ok && p.Is("meta", "resourceType") {
			// The same for every resource of the type: decide it here, comparing the
			// type's name as the value of a plain string attribute.
			name := &schemas.Attribute{Name: "resourceType", Type: schemas.String}
			c.Path = resources.Path{Attr: name}
			if c.Match(resources.Attributes{name.Name: fr.rt.ID}, "", resources.Meta{}) {
				return resources.Not{Filter: resources.Nothing{}}, nil
			}
			return resources.Nothing{}, nil
		}
		return f, nil
	}
	return nil, invalidFilter("unsupported filter expression %v", e)
}

// valueFilter resolves one attr[filter] taken out by extractValueFilters.
func (fr filterResolver) valueFilter(vf extractedFilter) (resources.Filter, error) {
	ap, err := filter.ParseAttrPath([]byte(vf.attr))
	if err != nil || vf.attr == "" {
		return nil, invalidFilter("%q before \"[\" is not an attribute name", vf.attr)
	}
	p, ok, err := fr.path(ap)
	if err != nil || !ok {
		return resources.Nothing{}, err
	}
	if p.Sub != nil || p.Attr.Type != schemas.Complex {
		return nil, invalidFilter("%q in %s[...] must be a complex attribute", p, p)
	}
	inner, err := elementResolver{attr: p.Attr}.expression(vf.inner)
	if err != nil {
		return nil, err
	}
	return resources.ValueFilter{Path: p, Filter: inner}, nil
}

// path resolves an attribute path. ok is false (with no error) for an attribute the
// resource type lacks in lenient mode.
func (fr filterResolver) path(ap filter.AttributePath) (resources.Path, bool, error) {
	p, err := resolvePath(fr.rt, ap.URI(), ap.AttributeName, ap.SubAttributeName())
	if err != nil && fr.lenient {
		return resources.Path{}, false, nil
	}
	if err != nil {
		return resources.Path{}, false, resources.Errorf(resources.KindInvalidFilter, "%s", err.(*resources.Error).Detail)
	}
	return p, true, nil
}

// resolvePath finds the attribute uri:name.sub of a resource type. uri may be empty (a
// core or common attribute), the core schema URN, or an extension URN.
func resolvePath(rt *schemas.ResourceType, uri, name, sub string) (resources.Path, error) {
	var p resources.Path
	switch {
	case uri == "" || strings.EqualFold(uri, rt.Schema.ID):
		p.Attr = rt.Schema.Attribute(name)
		if p.Attr == nil {
			p.Attr = schemas.Common(name)
		}
		if p.Attr == nil {
			if ext := rt.Extension(uri + ":" + name); ext != nil && uri != "" {
				return p, resources.Errorf(resources.KindInvalidPath, "%q is an extension schema, not an attribute", ext.ID)
			}
		}
	default:
		ext := rt.Extension(uri)
		if ext == nil {
			return p, resources.Errorf(resources.KindInvalidPath, "%q is not a schema of a %s", uri, rt.ID)
		}
		p.Schema, p.Attr = ext.ID, ext.Attribute(name)
	}
	full := name
	if uri != "" {
		full = uri + ":" + name
	}
	if p.Attr == nil {
		return p, resources.Errorf(resources.KindInvalidPath, "a %s has no attribute %q", rt.ID, full)
	}
	if sub != "" {
		if p.Attr.Type != schemas.Complex {
			return p, resources.Errorf(resources.KindInvalidPath, "%q is not complex and has no sub-attribute %q", p.Attr.Name, sub)
		}
		if p.Sub = p.Attr.Sub(sub); p.Sub == nil {
			return p, resources.Errorf(resources.KindInvalidPath, "%q has no sub-attribute %q", p.Attr.Name, sub)
		}
	}
	return p, nil
}

// elementResolver resolves the filter inside attr[...], whose names are sub-attributes.
type elementResolver struct{ attr *schemas.Attribute }

func (er elementResolver) expression(e filter.Expression) (resources.Filter, error) {
	return logical(e, er.leaf)
}

func (er elementResolver) leaf(e filter.Expression) (resources.Filter, error) {
	switch x := e.(type) {
	case *filter.AttributeExpression:
		ap := x.AttributePath
		sub := er.attr.Sub(ap.AttributeName)
		if sub == nil || ap.URIPrefix != nil || ap.SubAttribute != nil {
			return nil, invalidFilter("%q is not a sub-attribute of %q", ap.String(), er.attr.Name)
		}
		return comparison(resources.Path{Attr: sub}, x)
	}
	return nil, invalidFilter("%s[...] may only contain comparisons of its sub-attributes", er.attr.Name)
}

// comparison builds a resolved comparison: a complex attribute without a sub-attribute
// stands for its "value" (emails co "x" means emails.value co "x"), and the value is
// converted to the attribute's type, with the operators that type allows.
func comparison(p resources.Path, x *filter.AttributeExpression) (resources.Filter, error) {
	op := resources.Operator(strings.ToLower(string(x.Operator)))
	if p.Sub == nil && p.Attr.Type == schemas.Complex {
		if op == resources.OpPr {
			return resources.Compare{Path: p, Op: op}, nil
		}
		value := p.Attr.Sub("value")
		if value == nil {
			return nil, invalidFilter("%q is complex; compare one of its sub-attributes, e.g. %s.%s", p, p, p.Attr.SubAttributes[0].Name)
		}
		p.Sub = value
	}
	if op == resources.OpPr {
		return resources.Compare{Path: p, Op: op}, nil
	}
	if x.CompareValue == nil {
		// "attr eq null" asks for no value, "attr ne null" for some (RFC 7643 §2.5).
		present := resources.Compare{Path: p, Op: resources.OpPr}
		switch op {
		case resources.OpEq:
			return resources.Not{Filter: present}, nil
		case resources.OpNe:
			return present, nil
		}
		return nil, invalidFilter("null can only be compared with eq or ne (in %q)", x.String())
	}
	value, err := compareValue(p.Leaf(), op, x.CompareValue)
	if err != nil {
		return nil, invalidFilter("in %s: %s", x.String(), err.Error())
	}
	return resources.Compare{Path: p, Op: op, Value: value}, nil
}

// compareValue converts a filter value to the attribute's type and checks that the
// operator applies to it (RFC 7644 §3.4.2.2).
func compareValue(a *schemas.Attribute, op resources.Operator, v any) (any, error) {
	substring := op == resources.OpCo || op == resources.OpSw || op == resources.OpEw
	ordering := op == resources.OpGt || op == resources.OpGe || op == resources.OpLt || op == resources.OpLe
	switch a.Type {
	case schemas.String, schemas.Reference, schemas.Binary:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%q is a string attribute; put the value in double quotes", a.Name)
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("the value for %q is not valid UTF-8", a.Name)
		}
		if a.Type == schemas.Binary && ordering {
			return nil, fmt.Errorf("%q is binary and cannot be compared with %s", a.Name, op)
		}
		return unescape(s)
	case schemas.Boolean:
		if substring || ordering {
			return nil, fmt.Errorf("%q is a boolean; only eq, ne and pr apply", a.Name)
		}
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			if strings.EqualFold(b, "true") || strings.EqualFold(b, "false") {
				return strings.EqualFold(b, "true"), nil
			}
		}
		return nil, fmt.Errorf("%q is a boolean; compare it with true or false", a.Name)
	case schemas.Integer, schemas.Decimal:
		if substring {
			return nil, fmt.Errorf("%q is a number; co, sw and ew apply to strings", a.Name)
		}
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%q is a number; compare it with a number", a.Name)
		}
		f, err := n.Float64()
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", n)
		}
		return f, nil
	case schemas.DateTime:
		if substring {
			return nil, fmt.Errorf("%q is a dateTime; co, sw and ew apply to strings", a.Name)
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%q is a dateTime; give it as a quoted xsd:dateTime such as \"2024-05-01T12:00:00Z\"", a.Name)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an xsd:dateTime such as \"2024-05-01T12:00:00Z\"", s)
		}
		return t.UTC(), nil
	}
	return nil, fmt.Errorf("%q cannot be compared", a.Name)
}

// unescape resolves the JSON escapes the filter parser leaves in strings.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var out string
	if err := json.Unmarshal([]byte(`"`+s+`"`), &out); err != nil {
		return "", fmt.Errorf("the string %q has an invalid escape sequence", s)
	}
	return out, nil
}
