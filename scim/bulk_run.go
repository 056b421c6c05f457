package scim

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/scimhq/scimhq/resources"
	"github.com/scimhq/scimhq/schemas"
)

// process runs the operations: in order, except that an operation waits for the
// operations whose bulkIds it refers to (forward references). When only operations
// waiting on each other remain (a circular reference), the first POST among them is
// created without its unresolved references, which are added once all exist (RFC 7644
// §3.7.1). Consecutive creates of Users with no references go to the database in one
// batch (unless failOnErrors is set). With failOnErrors, processing stops once that
// many operations have failed, counted in request order (§3.7.3): a malformed
// operation counts when processing reaches it, not before the valid ones ahead of it.
func (run *bulkRun) process(ops []*bulkOp) {
	run.checkAll(ops)
	pending := ops
	for len(pending) > 0 && !run.stopped() {
		var waiting []*bulkOp
		for i := 0; i < len(pending) && !run.stopped(); i++ {
			op := pending[i]
			if op.invalid != nil {
				run.record(op, &bulkResult{err: op.invalid})
				continue
			}
			if run.waits(op) {
				waiting = append(waiting, op)
				continue
			}
			if failed := run.failedRef(op); failed != "" {
				run.record(op, &bulkResult{err: resources.Errorf(resources.KindConflict, "bulkId %q, which this operation refers to, failed", failed)})
				continue
			}
			// With failOnErrors, operations after the one that reaches the limit must not
			// run, which a batch cannot promise: creates then go one by one.
			if batchable(op) && run.failOnErrors == 0 {
				j := i
				for j < len(pending) && batchable(pending[j]) && !run.waits(pending[j]) {
					j++
				}
				run.createUsers(pending[i:j])
				i = j - 1
				continue
			}
			run.dispatch(op)
		}
		if len(waiting) == len(pending) && !run.stopped() {
			waiting = run.breakCycle(waiting)
		}
		pending = waiting
	}
	if !run.stopped() {
		run.applyFixups()
	}
}

// checkAll checks every operation's shape and references before any runs (a reference
// to a bulkId no operation declares is known only once all are read). Failures are kept
// on the operation, not recorded: they count toward failOnErrors at its position.
func (run *bulkRun) checkAll(ops []*bulkOp) {
	seen := map[string]bool{}
	for _, op := range ops {
		if op.bulkID != "" {
			seen[op.bulkID] = false // declared; check marks it used
		}
	}
	for _, op := range ops {
		op.invalid = op.check(seen)
		for _, ref := range op.refs {
			if _, declared := seen[ref]; !declared && op.invalid == nil {
				op.invalid = resources.Errorf(resources.KindInvalidValue, "bulkId %q is not the bulkId of any operation in this request", ref)
			}
		}
	}
}

// batchable reports whether op can go to the database in a batch of user creates.
func batchable(op *bulkOp) bool {
	return op.invalid == nil && op.method == "POST" && op.rt == schemas.UserResourceType && len(op.refs) == 0
}

// repeatID is the id the create of op makes: derived from the operation, so that a
// repeated bulk request collides with what the first one created (resources.RepeatID).
func (run *bulkRun) repeatID(op *bulkOp) string {
	return resources.RepeatID(run.tenant, op.rt.ID+"\x00"+op.key)
}

// repeats returns, of the failed creates, those whose resource exists: an identical
// earlier bulk operation created it. They are answered 409 with its location, and
// references to their bulkIds resolve to it: a repeated request creates nothing twice.
func (run *bulkRun) repeats(ops []*bulkOp, errs []error) map[int]bool {
	var ids []string
	for i, op := range ops {
		if resources.KindOf(errs[i]) == resources.KindUniqueness {
			ids = append(ids, run.repeatID(op))
		}
	}
	out := map[int]bool{}
	if len(ids) == 0 {
		return out
	}
	exists, err := run.s.Service.Existing(run.r.Context(), run.tenant, ids)
	if err != nil {
		return out
	}
	for i, op := range ops {
		if id := run.repeatID(op); errs[i] != nil && exists[id] {
			out[i] = true
			run.created[op.bulkID] = id
			loc := run.s.renderer(run.r).location(op.rt, id)
			run.results[op.index] = &bulkResult{op: op, location: loc,
				err: resources.Errorf(resources.KindUniqueness, "an identical bulk operation (bulkId %q) already created this %s at %s; it was not created again", op.bulkID, op.rt.ID, loc)}
		}
	}
	return out
}

// waits reports whether op refers to an operation that has not run yet.
func (run *bulkRun) waits(op *bulkOp) bool {
	for _, ref := range op.refs {
		if _, done := run.created[ref]; !done && !run.failed[ref] {
			return true
		}
	}
	return false
}

func (run *bulkRun) failedRef(op *bulkOp) string {
	for _, ref := range op.refs {
		if run.failed[ref] {
			return ref
		}
	}
	return ""
}

// breakCycle creates the first waiting POST without the references it waits for, or,
// when none can be, fails the waiting operations with 409 (RFC 7644 §3.7.1). It returns
// the operations still waiting.
func (run *bulkRun) breakCycle(waiting []*bulkOp) []*bulkOp {
	for i, op := range waiting {
		if op.method != "POST" {
			continue
		}
		rest := append(append([]*bulkOp{}, waiting[:i]...), waiting[i+1:]...)
		run.strip(op)
		if run.waits(op) { // references stripping cannot remove
			run.record(op, &bulkResult{err: resources.Errorf(resources.KindConflict, "the circular references of this operation (%s) cannot be resolved", strings.Join(op.refs, ", "))})
			return rest
		}
		run.dispatch(op)
		return rest
	}
	for _, op := range waiting {
		run.record(op, &bulkResult{err: resources.Errorf(resources.KindConflict, "the bulkIds this operation refers to (%s) form a cycle that only POSTs can break", strings.Join(op.refs, ", "))})
	}
	return nil
}

// strip takes out of a POST the references that cannot be resolved yet: members of a
// group, a user's manager. They become fixups, added after every resource exists.
func (run *bulkRun) strip(op *bulkOp) {
	unresolved := func(v any) bool {
		s, ok := v.(string)
		_, done := run.created[strings.TrimPrefix(s, bulkRef)]
		return ok && strings.HasPrefix(s, bulkRef) && !done
	}
	for key, val := range op.data {
		switch {
		case strings.EqualFold(key, "members"):
			list, isList := val.([]any)
			if !isList {
				continue // not a list: validation rejects it as it is
			}
			var kept []any
			for _, m := range list {
				mm, _ := m.(map[string]any)
				if v := lookup(mm, "value"); unresolved(v) {
					run.fixups = append(run.fixups, fixup{op: op, attr: "members", value: v.(string)})
					continue
				}
				kept = append(kept, m)
			}
			op.data[key] = kept
		case strings.EqualFold(key, schemas.EnterpriseUserURN) && op.rt == schemas.UserResourceType:
			ext, _ := val.(map[string]any)
			for k, mgr := range ext {
				mm, _ := mgr.(map[string]any)
				if v := lookup(mm, "value"); strings.EqualFold(k, "manager") && unresolved(v) {
					run.fixups = append(run.fixups, fixup{op: op, attr: schemas.EnterpriseUserURN + ":manager", value: v.(string)})
					delete(ext, k)
				}
			}
		}
	}
	op.refs = references(op.data, nil)
}

// applyFixups adds the references stripped to break cycles.
func (run *bulkRun) applyFixups() {
	ctx := run.r.Context()
	for _, f := range run.fixups {
		owner, ok := run.created[f.op.bulkID]
		target, resolved := run.created[strings.TrimPrefix(f.value, bulkRef)]
		if !ok || !resolved {
			continue // the owner or the target failed; that is reported on them
		}
		path, err := parsePatchPath(f.op.rt, f.attr)
		if err == nil {
			value := any(target)
			op := "add"
			if f.attr == "members" {
				value = []any{map[string]any{"value": target}}
			} else {
				op = "replace"
			}
			_, err = run.s.Service.Patch(ctx, run.tenant, f.op.rt, owner, []resources.PatchOp{{Op: op, Path: path, Value: value}}, resources.Precondition{})
		}
		if err != nil {
			// The operation fails as a whole: the resource it created goes again.
			if derr := run.s.Service.Delete(ctx, run.tenant, f.op.rt, owner, resources.Precondition{}); derr != nil {
				resources.Logger(ctx).Warn("could not undo a bulk create whose references failed")
			}
			delete(run.created, f.op.bulkID)
			run.errs++
			run.results[f.op.index] = &bulkResult{op: f.op, err: err}
		}
	}
}

// createUsers creates a run of users in one batch.
func (run *bulkRun) createUsers(ops []*bulkOp) {
	bodies := make([]map[string]any, len(ops))
	ids := make([]string, len(ops))
	for i, op := range ops {
		bodies[i], ids[i] = op.data, run.repeatID(op)
	}
	created := run.s.Service.CreateMany(run.r.Context(), run.tenant, schemas.UserResourceType, ids, bodies)
	errs := make([]error, len(created))
	for i, c := range created {
		errs[i] = c.Err
	}
	repeated := run.repeats(ops, errs)
	for i, c := range created {
		if repeated[i] {
			continue
		}
		res := &bulkResult{status: http.StatusCreated, err: c.Err}
		if c.Err == nil {
			run.created[ops[i].bulkID] = c.Resource.ID
			res.location = run.s.renderer(run.r).location(schemas.UserResourceType, c.Resource.ID)
			res.version = c.Resource.Meta.ETag()
		}
		run.record(ops[i], res)
	}
}

// dispatch runs one operation as the single request would.
func (run *bulkRun) dispatch(op *bulkOp) {
	ctx, svc := run.r.Context(), run.s.Service
	if op.data != nil {
		run.substitute(op.data)
	}
	id := op.id
	if strings.HasPrefix(id, bulkRef) {
		id = run.created[strings.TrimPrefix(id, bulkRef)]
	}
	pre := resources.Precondition{IfMatch: op.version}
	res := &bulkResult{}
	var r *resources.Resource
	var err error
	switch op.method {
	case "POST":
		res.status = http.StatusCreated
		if r, err = svc.CreateWithID(ctx, run.tenant, op.rt, run.repeatID(op), op.data); err == nil {
			run.created[op.bulkID] = r.ID
		} else if run.repeats([]*bulkOp{op}, []error{err})[0] {
			return
		}
	case "PUT":
		res.status = http.StatusOK
		r, err = svc.Replace(ctx, run.tenant, op.rt, id, op.data, pre)
	case "PATCH":
		res.status = http.StatusOK
		var ops []resources.PatchOp
		if ops, err = parsePatch(op.rt, op.data); err == nil {
			r, err = svc.Patch(ctx, run.tenant, op.rt, id, ops, pre)
		}
	case "DELETE":
		res.status = http.StatusNoContent
		err = svc.Delete(ctx, run.tenant, op.rt, id, pre)
	}
	res.err = err
	if r != nil {
		res.location = run.s.renderer(run.r).location(op.rt, r.ID)
		res.version = r.Meta.ETag()
	} else if err == nil && id != "" {
		res.location = run.s.renderer(run.r).location(op.rt, id)
	}
	run.record(op, res)
}

// response is the BulkResponse: one entry per operation that ran, in request order
// (operations not run because failOnErrors was reached are left out, RFC 7644 §3.7.3).
func (run *bulkRun) response(n int) object {
	entries := []any{}
	for i := 0; i < n; i++ {
		res, ok := run.results[i]
		if !ok {
			continue
		}
		e := object{}
		if res.op.method != "" {
			e.add("method", res.op.method)
		}
		if res.op.bulkID != "" {
			e.add("bulkId", res.op.bulkID)
		}
		if res.version != "" {
			e.add("version", res.version)
		}
		if res.location != "" {
			e.add("location", res.location)
		}
		status := res.status
		if res.err != nil {
			var scimType string
			status, scimType = statusOf(resources.KindOf(res.err))
			detail := res.err.Error()
			if de, ok := res.err.(*resources.Error); ok {
				detail = de.Detail
			}
			e.add("response", errorBody{Schemas: []string{schemas.ErrorURN}, Status: strconv.Itoa(status), ScimType: scimType, Detail: detail})
		}
		e.add("status", strconv.Itoa(status))
		entries = append(entries, e)
	}
	out := object{}
	out.add("schemas", []string{schemas.BulkResponseURN})
	out.add("Operations", entries)
	return out
}
