using System.Net;

namespace PatientStream.Testing;

/// <summary>A real InfluxDB 1.x on free loopback ports with its data in a temporary folder.</summary>
public sealed class InfluxFixture : IAsyncLifetime
{
    private readonly TempFolder _folder = new("influx");
    private ServerProcess? _server;

    public int Port { get; } = FreePort.Next();

    /// <summary>Base address of the v1 HTTP API (<c>/write</c>, <c>/query</c>, <c>/ping</c>).</summary>
    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public ServerProcess Server => _server ?? throw new InvalidOperationException("InfluxDB is not started.");

    public async Task InitializeAsync()
    {
        var binary = RequiredBinary.Find("influxd", "influxdb");
        var rpcPort = FreePort.Next();
        var data = _folder.Path;
        var config = $"""
            reporting-disabled = true
            bind-address = "127.0.0.1:{rpcPort}"
            [meta]
              dir = "{data}/meta"
            [data]
              dir = "{data}/data"
              wal-dir = "{data}/wal"
              query-log-enabled = false
            [coordinator]
              log-queries-after = "0s"
            [http]
              enabled = true
              bind-address = "127.0.0.1:{Port}"
              log-enabled = false
            [monitor]
              store-enabled = false
            [continuous_queries]
              enabled = false
            [subscriber]
              enabled = false
            """;
        var configPath = _folder.Combine("influxdb.conf");
        await File.WriteAllTextAsync(configPath, config);
        _server = ServerProcess.Start("influxd", binary, ["-config", configPath], data);
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(2) };
        await _server.WaitUntilReadyAsync(async ct =>
        {
            try
            {
                using var response = await http.GetAsync(new Uri("ping", UriKind.Relative), ct);
                return response.StatusCode == HttpStatusCode.NoContent;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _folder.Dispose();
    }
}
