using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;

namespace PatientStream.Fhir.Http;

/// <summary>
/// Every FHIR response: application/fhir+json, optional _pretty, gzip when the client accepts it, and the version
/// headers (ETag, Last-Modified, Location) of the resource it concerns.
/// </summary>
internal sealed record FhirResponse(HttpStatusCode Status, string? Json, JsonNode? Node) : IResult
{
    public const string ContentType = "application/fhir+json";
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    public StoredResource? Version { get; init; }

    public string? Location { get; init; }

    public static FhirResponse Of(HttpStatusCode status, JsonNode? body) => new(status, null, body);

    public static FhirResponse Raw(HttpStatusCode status, string json) => new(status, json, null);

    public static FhirResponse Empty(HttpStatusCode status) => new(status, null, null);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = (int)Status;
        if (Version is not null)
        {
            response.Headers.ETag = ETags.Format(Version.VersionText);
            response.Headers.LastModified = Version.LastUpdated.ToString("R", CultureInfo.InvariantCulture);
        }

        if (Location is not null)
        {
            response.Headers.Location = Location;
        }

        if (Json is null && Node is null)
        {
            return;
        }

        var pretty = httpContext.Request.Query["_pretty"] == "true";
        byte[] bytes;
        if (Node is not null)
        {
            bytes = pretty ? JsonSerializer.SerializeToUtf8Bytes(Node, Pretty) : Encoding.UTF8.GetBytes(Node.ToJsonString());
        }
        else
        {
            bytes = pretty ? JsonSerializer.SerializeToUtf8Bytes(JsonNode.Parse(Json!), Pretty) : Encoding.UTF8.GetBytes(Json!);
        }

        response.ContentType = ContentType + "; charset=utf-8";
        var ct = httpContext.RequestAborted;
        if (AcceptsGzip(httpContext.Request) && bytes.Length > 512)
        {
            response.Headers.ContentEncoding = "gzip";
            response.Headers.Vary = "Accept-Encoding";
            var gzip = new GZipStream(response.Body, CompressionLevel.Fastest, leaveOpen: true);
            await using (gzip.ConfigureAwait(false))
            {
                await gzip.WriteAsync(bytes, ct).ConfigureAwait(false);
            }

            return;
        }

        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, ct).ConfigureAwait(false);
    }

    private static bool AcceptsGzip(HttpRequest request) =>
        request.Headers.AcceptEncoding.Any(v => v is not null && v.Contains("gzip", StringComparison.OrdinalIgnoreCase));
}
