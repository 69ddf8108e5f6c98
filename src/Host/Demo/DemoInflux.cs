using System.Net;

namespace PatientStream.Host.Demo;

/// <summary>The demo's InfluxDB 1.x: <c>influxd</c> on loopback ports with its configuration and data in the data folder.</summary>
internal static class DemoInflux
{
    /// <summary>Writes influxdb.conf; returns its path and the HTTP port.</summary>
    public static (string Config, int Port) Prepare(DemoLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var port = DemoLayout.FreePort();
        var rpcPort = DemoLayout.FreePort();
        var data = layout.Influx;
        var config = $"""
            reporting-disabled = true
            bind-address = "127.0.0.1:{rpcPort}"
            [meta]
              dir = "{data}/meta"
            [data]
              dir = "{data}/data"
              wal-dir = "{data}/wal"
              query-log-enabled = false
            [http]
              enabled = true
              bind-address = "127.0.0.1:{port}"
              log-enabled = false
            [monitor]
              store-enabled = false
            [continuous_queries]
              enabled = false
            [subscriber]
              enabled = false
            """;
        var path = Path.Combine(data, "influxdb.conf");
        File.WriteAllText(path, config);
        return (path, port);
    }

    /// <summary>True once <c>/ping</c> answers 204.</summary>
    public static async Task<bool> PingAsync(HttpClient http, Uri baseUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        try
        {
            using var response = await http.GetAsync(new Uri(baseUrl, "ping"), cancellationToken).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.NoContent;
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}
