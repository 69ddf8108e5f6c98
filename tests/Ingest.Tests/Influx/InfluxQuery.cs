using System.Text.Json;
using PatientStream.Testing;

namespace PatientStream.Ingest.Tests.Influx;

/// <summary>Reads back from the real server through InfluxQL.</summary>
internal static class InfluxQuery
{
    /// <summary>Rows of the first series of the first result (empty when there is none), timestamps in nanoseconds.</summary>
    public static async Task<List<JsonElement[]>> RowsAsync(InfluxFixture influx, string database, string query)
    {
        using var http = new HttpClient { BaseAddress = influx.Url };
        var uri = new Uri($"query?db={Uri.EscapeDataString(database)}&epoch=ns&q={Uri.EscapeDataString(query)}", UriKind.Relative);
        using var document = JsonDocument.Parse(await http.GetStringAsync(uri));
        var result = document.RootElement.GetProperty("results")[0];
        Assert.False(result.TryGetProperty("error", out var error), error.ToString());
        if (!result.TryGetProperty("series", out var series))
        {
            return [];
        }
        return series.EnumerateArray()
            .SelectMany(s => s.GetProperty("values").EnumerateArray())
            .Select(row => row.EnumerateArray().Select(v => v.Clone()).ToArray())
            .ToList();
    }

    /// <summary>Distinct series keys of a measurement.</summary>
    public static async Task<List<string>> SeriesAsync(InfluxFixture influx, string database)
    {
        var rows = await RowsAsync(influx, database, "SHOW SERIES");
        return rows.Select(r => r[0].GetString()!).ToList();
    }

    public static string NewDatabase() => $"db_{Guid.NewGuid():N}";
}
