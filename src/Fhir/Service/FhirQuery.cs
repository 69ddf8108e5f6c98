using Microsoft.AspNetCore.WebUtilities;

namespace PatientStream.Fhir.Service;

/// <summary>Query strings as ordered key/value pairs (a repeated key is an AND, so repeats are kept).</summary>
public static class FhirQuery
{
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string? query)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(query))
        {
            return pairs;
        }

        var reader = new QueryStringEnumerable(query.StartsWith('?') ? query : "?" + query);
        foreach (var pair in reader)
        {
            var key = pair.DecodeName().ToString();
            if (key.Length > 0)
            {
                pairs.Add(new KeyValuePair<string, string>(key, pair.DecodeValue().ToString()));
            }
        }

        return pairs;
    }
}

/// <summary>Weak ETags carry the version id: W/"3".</summary>
public static class ETags
{
    public static string Format(string versionId) => $"W/\"{versionId}\"";

    public static string Parse(string etag)
    {
        var s = etag.Trim();
        if (s.StartsWith("W/", StringComparison.Ordinal))
        {
            s = s[2..];
        }

        return s.Trim('"');
    }
}
