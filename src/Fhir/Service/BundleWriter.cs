using System.Globalization;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Search;
using PatientStream.Fhir.Storage;

namespace PatientStream.Fhir.Service;

/// <summary>Renders searchset and history Bundles.</summary>
public static class BundleWriter
{
    public static JsonObject Searchset(string baseUrl, SearchResult result, string selfQuery, FhirDefinitions definitions)
    {
        ArgumentNullException.ThrowIfNull(result);
        var type = result.Query.ResourceType;
        var page = result.Page;
        var bundle = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["id"] = Guid.NewGuid().ToString(),
            ["meta"] = new JsonObject { ["lastUpdated"] = Validation.FhirDateTime.FormatInstant(DateTimeOffset.UtcNow) },
            ["type"] = "searchset",
        };
        if (page.Total is { } total && result.Query.Total != TotalMode.None)
        {
            bundle["total"] = total;
        }

        var links = new JsonArray { Link("self", $"{baseUrl}/{type}{(selfQuery.Length > 0 ? "?" + selfQuery : string.Empty)}") };
        if (page.SearchId is not null)
        {
            var count = page.Count.ToString(CultureInfo.InvariantCulture);
            if (page.HasNext)
            {
                links.Add(Link("next", $"{baseUrl}?_getpages={page.SearchId}&_getpagesoffset={(page.Offset + page.Count).ToString(CultureInfo.InvariantCulture)}&_count={count}"));
            }

            if (page.Offset > 0)
            {
                links.Add(Link("previous", $"{baseUrl}?_getpages={page.SearchId}&_getpagesoffset={Math.Max(0, page.Offset - page.Count).ToString(CultureInfo.InvariantCulture)}&_count={count}"));
            }
        }

        bundle["link"] = links;
        var entries = new JsonArray();
        foreach (var m in page.Matches)
        {
            entries.Add(Entry(baseUrl, m, "match", result.Query, definitions));
        }

        foreach (var i in result.Included)
        {
            entries.Add(Entry(baseUrl, i, "include", result.Query, definitions));
        }

        if (result.Ignored.Count > 0)
        {
            var outcome = OperationOutcomes.From(result.Ignored.Select(p => new Validation.ValidationIssue("PARAMETER_IGNORED", "not-supported", string.Empty, $"Search parameter '{p}' is not supported and was ignored.")), "warning");
            entries.Add(new JsonObject { ["resource"] = outcome, ["search"] = new JsonObject { ["mode"] = "outcome" } });
        }

        if (entries.Count > 0)
        {
            bundle["entry"] = entries;
        }

        return bundle;
    }

    public static JsonObject Collection(string baseUrl, string bundleType, IEnumerable<StoredResource> resources)
    {
        var entries = new JsonArray();
        foreach (var r in resources)
        {
            entries.Add(new JsonObject { ["fullUrl"] = FullUrl(baseUrl, r), ["resource"] = JsonNode.Parse(r.Json), ["search"] = new JsonObject { ["mode"] = "match" } });
        }

        return new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["id"] = Guid.NewGuid().ToString(),
            ["type"] = bundleType,
            ["total"] = entries.Count,
            ["entry"] = entries,
        };
    }

    public static JsonObject History(string baseUrl, IReadOnlyList<StoredResource> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var entries = new JsonArray();
        foreach (var v in versions)
        {
            var entry = new JsonObject { ["fullUrl"] = FullUrl(baseUrl, v) };
            if (!v.Deleted)
            {
                entry["resource"] = JsonNode.Parse(v.Json);
            }

            entry["request"] = new JsonObject
            {
                ["method"] = v.Method,
                ["url"] = v.Method == "POST" ? v.Type : $"{v.Type}/{v.Id}",
            };
            entry["response"] = new JsonObject
            {
                ["status"] = v.Deleted ? "204" : (v.VersionId == 1 ? "201" : "200"),
                ["etag"] = ETags.Format(v.VersionText),
                ["lastModified"] = Validation.FhirDateTime.FormatInstant(v.LastUpdated),
            };
            entries.Add(entry);
        }

        var bundle = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["id"] = Guid.NewGuid().ToString(),
            ["type"] = "history",
            ["total"] = versions.Count,
        };
        if (entries.Count > 0)
        {
            bundle["entry"] = entries;
        }

        return bundle;
    }

    public static string FullUrl(string baseUrl, StoredResource r) => $"{baseUrl}/{r.Type}/{r.Id}";

    private static JsonObject Entry(string baseUrl, StoredResource r, string mode, SearchQuery query, FhirDefinitions definitions)
    {
        var resource = (JsonObject)JsonNode.Parse(r.Json)!;
        return new JsonObject
        {
            ["fullUrl"] = FullUrl(baseUrl, r),
            ["resource"] = mode == "match" ? ResourceShaper.Shape(resource, query.Summary, query.Elements, definitions) : resource,
            ["search"] = new JsonObject { ["mode"] = mode },
        };
    }

    private static JsonObject Link(string relation, string url) => new() { ["relation"] = relation, ["url"] = url };
}
