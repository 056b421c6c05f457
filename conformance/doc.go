// Package conformance will hold the SCIM conformance harness: suites that drive any SCIM
// server over HTTP and check it against RFC 7643/7644 and what Okta and Entra ID send
// and expect. It is built in its own issue; this file reserves the place in the layout.
package conformance
