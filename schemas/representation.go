package schemas

// Representation returns the schema as RFC 7643 §7 represents it, without "meta" (whose
// location depends on the server's base URL).
func (s *Schema) Representation() map[string]any {
	return map[string]any{
		"schemas":     []string{SchemaURN},
		"id":          s.ID,
		"name":        s.Name,
		"description": s.Description,
		"attributes":  attributeList(s.Attributes),
	}
}

func attributeList(attrs []*Attribute) []map[string]any {
	out := make([]map[string]any, 0, len(attrs))
	for _, a := range attrs {
		m := map[string]any{
			"name":        a.Name,
			"type":        a.Type,
			"multiValued": a.MultiValued,
			"description": a.Description,
			"required":    a.Required,
			"caseExact":   a.CaseExact,
			"mutability":  a.Mutability,
			"returned":    a.Returned,
			"uniqueness":  a.Uniqueness,
		}
		if len(a.CanonicalValues) > 0 {
			m["canonicalValues"] = a.CanonicalValues
		}
		if len(a.ReferenceTypes) > 0 {
			m["referenceTypes"] = a.ReferenceTypes
		}
		if len(a.SubAttributes) > 0 {
			m["subAttributes"] = attributeList(a.SubAttributes)
		}
		out = append(out, m)
	}
	return out
}

// Representation returns the resource type as RFC 7643 §6 represents it, without "meta".
func (rt *ResourceType) Representation() map[string]any {
	exts := make([]map[string]any, 0, len(rt.Extensions))
	for _, e := range rt.Extensions {
		exts = append(exts, map[string]any{"schema": e.Schema.ID, "required": e.Required})
	}
	m := map[string]any{
		"schemas":     []string{ResourceTypeURN},
		"id":          rt.ID,
		"name":        rt.ID,
		"endpoint":    rt.Endpoint,
		"description": rt.Description,
		"schema":      rt.Schema.ID,
	}
	if len(exts) > 0 {
		m["schemaExtensions"] = exts
	}
	return m
}
