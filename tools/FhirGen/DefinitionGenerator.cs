using System.Text.Json;
using System.Text.Json.Nodes;

namespace PatientStream.FhirGen;

/// <summary>Reduces the official R4 definition bundles to the compact NDJSON the server embeds.</summary>
internal static class DefinitionGenerator
{
    private const string FhirTypeExtension = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";
    private const string RegexExtension = "http://hl7.org/fhir/StructureDefinition/regex";

    public static List<string> Generate(string sourceDir)
    {
        var lines = new List<string>
        {
            new JsonObject { ["kind"] = "header", ["fhirVersion"] = "4.0.1", ["source"] = "hl7.org/fhir/R4 definitions" }.ToJsonString(),
        };
        var requiredValueSets = new SortedSet<string>(StringComparer.Ordinal);
        var resourceNames = new List<string>();

        using (var types = Load(sourceDir, "profiles-types.json"))
        {
            foreach (var sd in StructureDefinitions(types))
            {
                var kind = sd.GetProperty("kind").GetString();
                if (kind == "primitive-type")
                {
                    lines.Add(Primitive(sd).ToJsonString());
                }
                else if (IsSpecialization(sd))
                {
                    lines.Add(TypeLine(sd, requiredValueSets).ToJsonString());
                }
            }
        }

        using (var resources = Load(sourceDir, "profiles-resources.json"))
        {
            foreach (var sd in StructureDefinitions(resources))
            {
                if (sd.GetProperty("kind").GetString() != "resource" || !IsSpecialization(sd))
                {
                    continue;
                }

                lines.Add(TypeLine(sd, requiredValueSets).ToJsonString());
                if (!(sd.TryGetProperty("abstract", out var a) && a.GetBoolean()))
                {
                    resourceNames.Add(sd.GetProperty("name").GetString()!);
                }
            }
        }

        using (var valueSets = Load(sourceDir, "valuesets.json"))
        {
            var expander = new ValueSetExpander(valueSets.RootElement);
            foreach (var url in requiredValueSets)
            {
                var codes = expander.Expand(url);
                if (codes is not null)
                {
                    var arr = new JsonArray();
                    foreach (var c in codes)
                    {
                        arr.Add(c);
                    }

                    lines.Add(new JsonObject { ["kind"] = "valueset", ["url"] = url, ["codes"] = arr }.ToJsonString());
                }
            }
        }

        using (var search = Load(sourceDir, "search-parameters.json"))
        {
            lines.AddRange(SearchParameterReducer.Reduce(search.RootElement).Select(n => n.ToJsonString()));
        }

        using (var compartment = Load(sourceDir, "compartmentdefinition-patient.json"))
        {
            foreach (var r in compartment.RootElement.GetProperty("resource").EnumerateArray())
            {
                if (!r.TryGetProperty("param", out var ps))
                {
                    continue;
                }

                var arr = new JsonArray();
                foreach (var p in ps.EnumerateArray())
                {
                    arr.Add(p.GetString());
                }

                lines.Add(new JsonObject { ["kind"] = "compartment", ["compartment"] = "Patient", ["resource"] = r.GetProperty("code").GetString(), ["params"] = arr }.ToJsonString());
            }
        }

        return lines;
    }

    private static JsonDocument Load(string dir, string file)
    {
        using var stream = File.OpenRead(Path.Combine(dir, file));
        return JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 256 });
    }

    private static IEnumerable<JsonElement> StructureDefinitions(JsonDocument bundle) =>
        bundle.RootElement.GetProperty("entry").EnumerateArray()
            .Select(e => e.GetProperty("resource"))
            .Where(r => r.GetProperty("resourceType").GetString() == "StructureDefinition");

    private static bool IsSpecialization(JsonElement sd) =>
        !sd.TryGetProperty("derivation", out var d) || d.GetString() == "specialization";

    private static JsonObject Primitive(JsonElement sd)
    {
        var name = sd.GetProperty("name").GetString()!;
        var json = name switch
        {
            "boolean" => "boolean",
            "integer" or "positiveInt" or "unsignedInt" or "decimal" => "number",
            _ => "string",
        };
        string? regex = null;
        foreach (var el in sd.GetProperty("snapshot").GetProperty("element").EnumerateArray())
        {
            if (el.GetProperty("path").GetString() != name + ".value" || !el.TryGetProperty("type", out var types))
            {
                continue;
            }

            foreach (var t in types.EnumerateArray())
            {
                regex ??= ExtensionValue(t, RegexExtension, "valueString");
            }
        }

        var line = new JsonObject { ["kind"] = "primitive", ["name"] = name, ["json"] = json };
        if (regex is not null)
        {
            line["regex"] = regex;
        }

        return line;
    }

    private static JsonObject TypeLine(JsonElement sd, SortedSet<string> requiredValueSets)
    {
        var name = sd.GetProperty("type").GetString()!;
        var isResource = sd.GetProperty("kind").GetString() == "resource";
        var elements = new JsonArray();
        foreach (var el in sd.GetProperty("snapshot").GetProperty("element").EnumerateArray())
        {
            var path = el.GetProperty("path").GetString()!;
            if (!path.Contains('.', StringComparison.Ordinal))
            {
                continue;
            }

            elements.Add(Element(name, isResource, path, el, requiredValueSets));
        }

        return new JsonObject
        {
            ["kind"] = "type",
            ["name"] = name,
            ["category"] = sd.GetProperty("kind").GetString(),
            ["abstract"] = sd.TryGetProperty("abstract", out var a) && a.GetBoolean(),
            ["base"] = sd.TryGetProperty("baseDefinition", out var b) ? b.GetString()![(b.GetString()!.LastIndexOf('/') + 1)..] : null,
            ["elements"] = elements,
        };
    }

    private static JsonObject Element(string typeName, bool isResource, string path, JsonElement el, SortedSet<string> requiredValueSets)
    {
        var node = new JsonObject
        {
            ["p"] = path,
            ["min"] = el.GetProperty("min").GetInt32(),
            ["max"] = el.GetProperty("max").GetString(),
        };
        if (el.TryGetProperty("isSummary", out var summary) && summary.GetBoolean())
        {
            node["s"] = true;
        }

        if (el.TryGetProperty("contentReference", out var cr))
        {
            node["cr"] = cr.GetString()!.TrimStart('#');
        }

        if (el.TryGetProperty("type", out var types))
        {
            var codes = new JsonArray();
            var targets = new JsonArray();
            foreach (var t in types.EnumerateArray())
            {
                codes.Add(TypeCode(isResource && path == typeName + ".id", t));
                if (t.TryGetProperty("targetProfile", out var tps))
                {
                    foreach (var tp in tps.EnumerateArray())
                    {
                        var s = tp.GetString()!;
                        targets.Add(s[(s.LastIndexOf('/') + 1)..]);
                    }
                }
            }

            node["t"] = codes;
            if (targets.Count > 0)
            {
                node["r"] = targets;
            }
        }

        if (el.TryGetProperty("binding", out var binding)
            && binding.GetProperty("strength").GetString() == "required"
            && binding.TryGetProperty("valueSet", out var vs))
        {
            var url = vs.GetString()!.Split('|')[0];
            node["b"] = url;
            requiredValueSets.Add(url);
        }

        return node;
    }

    private static string TypeCode(bool isResourceId, JsonElement type)
    {
        var code = type.GetProperty("code").GetString()!;
        if (!code.StartsWith("http://hl7.org/fhirpath/System.", StringComparison.Ordinal))
        {
            return code;
        }

        // Resource.id is an 'id' in the JSON schema even though the snapshot types it as a FHIRPath string.
        if (isResourceId)
        {
            return "id";
        }

        return ExtensionValue(type, FhirTypeExtension, "valueUrl") ?? "string";
    }

    private static string? ExtensionValue(JsonElement holder, string url, string valueProperty)
    {
        if (!holder.TryGetProperty("extension", out var exts))
        {
            return null;
        }

        foreach (var ext in exts.EnumerateArray())
        {
            if (ext.GetProperty("url").GetString() == url && ext.TryGetProperty(valueProperty, out var v))
            {
                return v.GetString();
            }
        }

        return null;
    }
}
