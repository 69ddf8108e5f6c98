using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Search;

namespace PatientStream.Fhir.Service;

/// <summary>Applies _summary and _elements to a returned resource, marking it SUBSETTED as the spec requires.</summary>
public static class ResourceShaper
{
    private static readonly HashSet<string> AlwaysKept = new(StringComparer.Ordinal) { "resourceType", "id", "meta" };

    public static JsonObject Shape(JsonObject resource, SummaryMode summary, IReadOnlyList<string>? elements, FhirDefinitions definitions)
    {
        if (summary is SummaryMode.None or SummaryMode.Count && elements is null)
        {
            return resource;
        }

        var type = resource["resourceType"]!.GetValue<string>();
        var map = definitions.PropertyMap(type);
        bool Keep(string name)
        {
            if (AlwaysKept.Contains(name))
            {
                return true;
            }

            if (elements is not null)
            {
                return elements.Contains(name) || (map.TryGetValue(name, out var e) && elements.Contains(e.Element.Name));
            }

            return summary switch
            {
                SummaryMode.True => map.TryGetValue(name, out var m) && (m.Element.IsSummary || m.Element.Min > 0),
                SummaryMode.Text => name == "text" || (map.TryGetValue(name, out var t) && t.Element.Min > 0),
                SummaryMode.Data => name != "text",
                _ => true,
            };
        }

        var shaped = new JsonObject();
        foreach (var (name, value) in resource)
        {
            var baseName = name.StartsWith('_') ? name[1..] : name;
            if (Keep(baseName))
            {
                shaped[name] = value?.DeepClone();
            }
        }

        var meta = shaped["meta"] as JsonObject ?? new JsonObject();
        shaped["meta"] = meta;
        var tags = meta["tag"] as JsonArray ?? [];
        meta["tag"] = tags;
        tags.Add(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", ["code"] = "SUBSETTED" });
        return shaped;
    }
}
