using System.Globalization;
using System.Text.Json;

namespace PatientStream.EndToEnd.Tests;

/// <summary>What a test reads back from a running demo: the FHIR API and InfluxDB's v1 query API.</summary>
internal sealed class DemoApis(Uri fhir, Uri influx) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async Task<JsonElement> GetFhirAsync(string relative)
    {
        using var response = await _http.GetAsync(new Uri($"{fhir.AbsoluteUri.TrimEnd('/')}/{relative}"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {relative}: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    public async Task<long> CountAsync(string type, string query = "")
    {
        var bundle = await GetFhirAsync($"{type}?_summary=count{(query.Length == 0 ? "" : "&" + query)}");
        return bundle.GetProperty("total").GetInt64();
    }

    /// <summary>The resources of one search (up to 1000).</summary>
    public async Task<IReadOnlyList<JsonElement>> SearchAsync(string type, string query)
    {
        var bundle = await GetFhirAsync($"{type}?{query}&_count=1000");
        return bundle.TryGetProperty("entry", out var entries)
            ? [.. entries.EnumerateArray().Select(e => e.GetProperty("resource"))]
            : [];
    }

    /// <summary>Points of one device across every measurement in the demo's InfluxDB database.</summary>
    public async Task<long> InfluxPointsAsync(string device)
    {
        var q = Uri.EscapeDataString($"SELECT count(\"value\") FROM /.*/ WHERE \"device\" = '{device}'");
        using var response = await _http.GetAsync(new Uri(influx, $"query?db=patientstream&q={q}"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"InfluxDB query: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        long total = 0;
        foreach (var result in document.RootElement.GetProperty("results").EnumerateArray())
        {
            if (!result.TryGetProperty("series", out var series))
            {
                continue;
            }
            foreach (var one in series.EnumerateArray())
            {
                total += one.GetProperty("values")[0][1].GetInt64();
            }
        }
        return total;
    }

    /// <summary>Reads the InfluxDB URL from the demo's "influxdb: URL" line.</summary>
    public static Uri InfluxFrom(string line) => new(line["influxdb: ".Length..].Trim());

    public static long Number(string line, string label)
    {
        var at = line.IndexOf(label, StringComparison.Ordinal) + label.Length;
        var end = at;
        while (end < line.Length && char.IsAsciiDigit(line[end]))
        {
            end++;
        }
        return long.Parse(line.AsSpan(at, end - at), CultureInfo.InvariantCulture);
    }

    public void Dispose() => _http.Dispose();
}
