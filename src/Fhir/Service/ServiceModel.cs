using System.Net;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Search;
using PatientStream.Fhir.Storage;

namespace PatientStream.Fhir.Service;

/// <summary>The outcome of a create/update/delete: the HTTP status it maps to and the version written (or found).</summary>
public sealed record WriteOutcome(HttpStatusCode Status, StoredResource? Resource)
{
    public bool Created => Status == HttpStatusCode.Created;
}

/// <summary>A search result: the page of matches, included resources, and what is needed to link further pages.</summary>
public sealed record SearchResult(SearchQuery Query, SearchPage Page, IReadOnlyList<StoredResource> Included, IReadOnlyList<string> Ignored)
{
    public IReadOnlyList<JsonObject> MatchResources() => Page.Matches.Select(m => (JsonObject)JsonNode.Parse(m.Json)!).ToList();
}
