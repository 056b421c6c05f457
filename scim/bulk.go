package scim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// Bulk limits (RFC 7644 §3.7.4), advertised in ServiceProviderConfig.
const (
	MaxBulkOperations = 1000
	MaxBulkPayload    = 16 << 20
)

// bulkRef is how a bulk operation refers to a resource another operation creates.
const bulkRef = "bulkId:"

// bulkOp is one operation of a BulkRequest.
type bulkOp struct {
	index                   int
	method, bulkID, version string
	path                    string
	rt                      *schemas.ResourceType
	id                      string // for PUT, PATCH, DELETE: the target (maybe "bulkId:x")
	data                    map[string]any
	refs                    []string // the bulkIds the operation refers to
	key                     string   // for POST: what identifies a repetition of it
	badVersion              bool     // a version was given but is not a string
	invalid                 error    // what check found wrong; reported when the op's turn comes
}

// bulkResult is one operation's entry in the BulkResponse.
type bulkResult struct {
	op       *bulkOp
	status   int
	location string
	version  string
	err      error
}

// bulkRun carries a BulkRequest through: the ids of the resources created so far (by
// bulkId), the bulkIds of the operations that failed, and the results.
type bulkRun struct {
	s            *Server
	r            *http.Request
	tenant       string
	created      map[string]string
	failed       map[string]bool
	results      map[int]*bulkResult
	errs         int
	failOnErrors int
	fixups       []fixup // references stripped to break a cycle, added at the end
}

// fixup is a reference left out of a create to break a circular reference: a member of
// a group, or a user's manager, added once every resource exists.
type fixup struct {
	op    *bulkOp
	id    string
	attr  string // "members" or the manager path
	value string // "bulkId:x"
}

// bulk answers POST /Bulk (RFC 7644 §3.7).
func (s *Server) bulk(w http.ResponseWriter, r *http.Request) {
	body, err := s.readJSONObjectLimit(w, r, MaxBulkPayload)
	var tooLarge errTooLarge
	if errors.As(err, &tooLarge) {
		writeErrorStatus(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("the bulk request is larger than maxPayloadSize, %d bytes (see /ServiceProviderConfig); split it", MaxBulkPayload))
		return
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	ops, failOnErrors, err := parseBulk(body)
	if err != nil {
		if errors.Is(err, errTooManyOps) {
			writeErrorStatus(w, http.StatusRequestEntityTooLarge, "", err.Error())
			return
		}
		writeError(w, r, err)
		return
	}
	run := &bulkRun{s: s, r: r, tenant: tenantOf(r.Context()), created: map[string]string{}, failed: map[string]bool{},
		results: map[int]*bulkResult{}, failOnErrors: failOnErrors}
	run.process(ops)
	writeJSON(w, http.StatusOK, run.response(len(ops)))
}

var errTooManyOps = fmt.Errorf("the bulk request has more than maxOperations, %d operations (see /ServiceProviderConfig); split it", MaxBulkOperations)

// parseBulk reads a BulkRequest. Malformed operations are kept, to fail one by one.
func parseBulk(body map[string]any) ([]*bulkOp, int, error) {
	if !hasSchema(body, schemas.BulkRequestURN) {
		return nil, 0, resources.Errorf(resources.KindInvalidSyntax, "a bulk request must have \"schemas\": [%q]", schemas.BulkRequestURN)
	}
	failOnErrors := 0
	if raw := lookup(body, "failOnErrors"); raw != nil {
		n, err := strconv.Atoi(fmt.Sprint(raw))
		if err != nil || n < 1 {
			return nil, 0, resources.Errorf(resources.KindInvalidValue, "failOnErrors must be a positive integer, not %v", raw)
		}
		failOnErrors = n
	}
	list, ok := lookup(body, "Operations").([]any)
	if !ok {
		return nil, 0, resources.Errorf(resources.KindInvalidSyntax, "a bulk request needs an \"Operations\" array")
	}
	if len(list) > MaxBulkOperations {
		return nil, 0, errTooManyOps
	}
	ops := make([]*bulkOp, len(list))
	for i, item := range list {
		m, _ := item.(map[string]any)
		op := &bulkOp{index: i}
		op.method = strings.ToUpper(str(lookup(m, "method")))
		op.bulkID = str(lookup(m, "bulkId"))
		op.version = str(lookup(m, "version"))
		if v := lookup(m, "version"); v != nil && op.version == "" {
			op.badVersion = true // checked with the operation: a precondition is never dropped
		}
		op.path = str(lookup(m, "path"))
		op.data, _ = lookup(m, "data").(map[string]any)
		ops[i] = op
	}
	return ops, failOnErrors, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// check validates an operation's shape and resolves its endpoint.
func (op *bulkOp) check(seen map[string]bool) error {
	if op.method != "POST" && op.method != "PUT" && op.method != "PATCH" && op.method != "DELETE" {
		return resources.Errorf(resources.KindInvalidSyntax, "method must be POST, PUT, PATCH or DELETE, not %q", op.method)
	}
	endpoint, id, _ := strings.Cut(strings.Trim(op.path, "/"), "/")
	for _, rt := range resourceTypes {
		if strings.EqualFold("/"+endpoint, rt.Endpoint) {
			op.rt = rt
		}
	}
	if op.rt == nil {
		return resources.Errorf(resources.KindInvalidPath, "path %q is not /Users or /Groups (with an id for PUT, PATCH and DELETE)", op.path)
	}
	switch {
	case op.method == "POST" && id != "":
		return resources.Errorf(resources.KindInvalidPath, "a POST goes to %s, not to a resource", op.rt.Endpoint)
	case op.method != "POST" && id == "":
		return resources.Errorf(resources.KindInvalidPath, "a %s needs the resource's id in its path, e.g. %s/{id}", op.method, op.rt.Endpoint)
	case op.method == "POST" && op.bulkID == "":
		return resources.Errorf(resources.KindInvalidValue, "a POST needs a bulkId (RFC 7644 §3.7)")
	case op.bulkID != "" && seen[op.bulkID]:
		return resources.Errorf(resources.KindInvalidValue, "bulkId %q is used twice; each must be unique in the request", op.bulkID)
	case op.method != "DELETE" && op.data == nil:
		return resources.Errorf(resources.KindInvalidSyntax, "a %s needs \"data\", a JSON object", op.method)
	case op.badVersion:
		return resources.Errorf(resources.KindInvalidValue, "version must be an entity tag string such as W/\"3\" (it is the operation's If-Match)")
	}
	if op.bulkID != "" {
		seen[op.bulkID] = true
	}
	op.id = id
	if op.method == "POST" {
		data, _ := json.Marshal(op.data) // map keys are sorted: equal data, equal text
		sum := sha256.Sum256([]byte(op.rt.ID + "\x00" + op.bulkID + "\x00" + string(data)))
		op.key = hex.EncodeToString(sum[:])
	}
	op.refs = references(op.data, nil)
	if strings.HasPrefix(id, bulkRef) {
		op.refs = append(op.refs, strings.TrimPrefix(id, bulkRef))
	}
	if op.bulkID != "" && slices.Contains(op.refs, op.bulkID) {
		return resources.Errorf(resources.KindInvalidValue, "the operation refers to its own bulkId %q; a resource cannot reference itself", op.bulkID)
	}
	return nil
}

// references collects the bulkIds that "bulkId:x" strings in v refer to.
func references(v any, out []string) []string {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, bulkRef) {
			out = append(out, strings.TrimPrefix(x, bulkRef))
		}
	case map[string]any:
		for _, val := range x {
			out = references(val, out)
		}
	case []any:
		for _, val := range x {
			out = references(val, out)
		}
	}
	return out
}

// substitute replaces "bulkId:x" strings by the ids created for them.
func (run *bulkRun) substitute(v any) any {
	switch x := v.(type) {
	case string:
		if id, ok := run.created[strings.TrimPrefix(x, bulkRef)]; ok && strings.HasPrefix(x, bulkRef) {
			return id
		}
	case map[string]any:
		for k, val := range x {
			x[k] = run.substitute(val)
		}
	case []any:
		for i, val := range x {
			x[i] = run.substitute(val)
		}
	}
	return v
}

func (run *bulkRun) stopped() bool { return run.failOnErrors > 0 && run.errs >= run.failOnErrors }

func (run *bulkRun) record(op *bulkOp, res *bulkResult) {
	res.op = op
	run.results[op.index] = res
	if res.err != nil {
		run.errs++
		if op.bulkID != "" {
			run.failed[op.bulkID] = true
		}
	}
}
