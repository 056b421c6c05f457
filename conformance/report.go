package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// WriteText writes a report for people: per suite and case, pass, skip with its reason,
// or fail with the reason and the request and response that broke it.
func (r Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "SCIM conformance of %s\n", r.URL)
	suite := ""
	for _, res := range r.Results {
		if res.Suite != suite {
			suite = res.Suite
			fmt.Fprintf(w, "\n%s\n", suite)
		}
		mark := map[Status]string{Pass: "PASS", Fail: "FAIL", Skip: "SKIP"}[res.Status]
		fmt.Fprintf(w, "  %s  %s  (%s)\n", mark, res.Case, res.Source)
		if res.Reason != "" {
			fmt.Fprintf(w, "        %s\n", res.Reason)
		}
		if x := res.Exchange; x != nil && res.Status == Fail {
			fmt.Fprintf(w, "        request:  %s %s %s\n", x.Method, x.URL, x.RequestBody)
			fmt.Fprintf(w, "        response: %d %s\n", x.Status, x.ResponseBody)
		}
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped in %v\n", r.Count(Pass), r.Count(Fail), r.Count(Skip), r.Duration.Round(time.Millisecond))
}

// WriteJSON writes the report as JSON, for tools.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteJUnit writes the report as JUnit XML, one test suite per SCIM suite, for CI.
func (r Report) WriteJUnit(w io.Writer) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Body    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      float64  `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
	}
	type testsuite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Skipped  int        `xml:"skipped,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type testsuites struct {
		XMLName xml.Name    `xml:"testsuites"`
		Suites  []testsuite `xml:"testsuite"`
	}
	var out testsuites
	index := map[string]int{}
	for _, res := range r.Results {
		i, ok := index[res.Suite]
		if !ok {
			i = len(out.Suites)
			index[res.Suite] = i
			out.Suites = append(out.Suites, testsuite{Name: "scim-conformance." + res.Suite})
		}
		s := &out.Suites[i]
		tc := testcase{Name: res.Case, Classname: "scim-conformance." + res.Suite, Time: res.Duration.Seconds()}
		switch res.Status {
		case Fail:
			body := res.Source
			if x := res.Exchange; x != nil {
				body += fmt.Sprintf("\nrequest: %s %s %s\nresponse: %d %s", x.Method, x.URL, x.RequestBody, x.Status, x.ResponseBody)
			}
			tc.Failure = &failure{Message: res.Reason, Body: body}
			s.Failures++
		case Skip:
			tc.Skipped = &skipped{Message: res.Reason}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	return enc.Encode(out)
}
