using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace PatientStream.Fhir.Tests.External;

/// <summary>Keeps every FHIR JSON resource the server returns to a test client, for the schema check.</summary>
public sealed class ResponseRecorder : DelegatingHandler
{
    private readonly ConcurrentQueue<string> _resources = new();

    public ResponseRecorder()
        : base(new HttpClientHandler())
    {
    }

    public IReadOnlyCollection<string> Resources => _resources;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.Content.Headers.ContentType?.MediaType == "application/fhir+json" && response.Content.Headers.ContentEncoding.Count == 0)
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (JsonNode.Parse(text) is JsonObject { } resource && resource.ContainsKey("resourceType"))
            {
                _resources.Enqueue(resource.ToJsonString());
            }
        }

        return response;
    }

    /// <summary>Validates every recorded resource against fhir.schema.json; returns the checker's report.</summary>
    public async Task<(int ExitCode, string Output)> CheckSchemaAsync(CancellationToken cancellationToken)
    {
        var file = Path.Combine(Path.GetTempPath(), $"ps-fhir-responses-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllLinesAsync(file, _resources, cancellationToken);
        try
        {
            return await NodeChecks.RunAsync("schema-check.mjs", [file], cancellationToken);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
