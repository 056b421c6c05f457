package resources

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error. Each kind corresponds to one HTTP status and, where
// RFC 7644 §3.12 defines one, one scimType; the scim package does that mapping.
type Kind int

const (
	KindInternal           Kind = iota // a server fault; details are logged, not returned
	KindInvalidValue                   // 400 invalidValue
	KindInvalidSyntax                  // 400 invalidSyntax
	KindInvalidFilter                  // 400 invalidFilter
	KindInvalidPath                    // 400 invalidPath
	KindNoTarget                       // 400 noTarget
	KindMutability                     // 400 mutability
	KindTooMany                        // 400 tooMany
	KindUniqueness                     // 409 uniqueness
	KindNotFound                       // 404
	KindPreconditionFailed             // 412
	KindUnauthorized                   // 401
	KindForbidden                      // 403
	KindConflict                       // 409 without a scimType (a concurrent change won)
	KindInvalidCursor                  // 400 invalidCursor (RFC 9865)
)

// Error is an error a client can act on: its Detail is written for the person reading the
// response. Internal errors wrap the cause, which is logged but never sent to clients.
type Error struct {
	Kind   Kind
	Detail string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Detail, e.Err)
	}
	return e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted detail.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure (the database is down, a bug). The detail says
// only what failed, never why, so no internals leak to clients.
func Internal(what string, err error) *Error {
	return &Error{Kind: KindInternal, Detail: what, Err: err}
}

// KindOf returns the kind of err: that of the first *Error in its chain, or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}
