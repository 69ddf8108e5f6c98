using System.Collections.Concurrent;
using System.Net;

namespace PatientStream.Ingest.Tests.Influx;

/// <summary>
/// Sits between the writer and the real InfluxDB: answers the first requests with chosen failures (as an overloaded
/// server or proxy would) and records what the writer sent; everything else reaches the server unchanged.
/// </summary>
internal sealed class FaultInjector(params HttpStatusCode[] failFirst) : DelegatingHandler(new HttpClientHandler())
{
    private readonly ConcurrentQueue<HttpStatusCode> _failures = new(failFirst);

    public ConcurrentQueue<(HttpStatusCode Status, string? Encoding)> Seen { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var encoding = request.Content?.Headers.ContentEncoding.FirstOrDefault();
        if (request.RequestUri!.AbsolutePath.EndsWith("/write", StringComparison.Ordinal) && _failures.TryDequeue(out var status))
        {
            Seen.Enqueue((status, encoding));
            var injected = new HttpResponseMessage(status) { Content = new StringContent("{\"error\":\"injected\"}") };
            injected.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.Zero);
            return injected;
        }
        var response = await base.SendAsync(request, cancellationToken);
        Seen.Enqueue((response.StatusCode, encoding));
        return response;
    }
}
