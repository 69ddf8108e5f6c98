using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PatientStream.FhirGen;

/// <summary>
/// Reduces the FHIRPath expressions of the official search parameters to element paths the indexer can walk:
/// <c>Type.a.b</c>, a choice narrowed to one type (<c>Observation.valueQuantity</c>), a segment filter
/// (<c>Patient.telecom[system=phone]</c>) and a reference target restriction (<c>Observation.subject@Patient</c>).
/// Parts that do not reduce (functions, indexers) are left out and listed in the line's "unsupported".
/// </summary>
internal static partial class SearchParameterReducer
{
    private static readonly HashSet<string> IndexedTypes = new(StringComparer.Ordinal)
    {
        "string", "token", "reference", "date", "quantity", "uri", "number",
    };

    public static IEnumerable<JsonObject> Reduce(JsonElement bundle)
    {
        foreach (var entry in bundle.GetProperty("entry").EnumerateArray())
        {
            var sp = entry.GetProperty("resource");
            var type = sp.GetProperty("type").GetString()!;
            var code = sp.GetProperty("code").GetString()!;
            var expression = sp.TryGetProperty("expression", out var e) ? e.GetString() : null;
            var targets = new JsonArray();
            if (sp.TryGetProperty("target", out var ts))
            {
                foreach (var t in ts.EnumerateArray())
                {
                    targets.Add(t.GetString());
                }
            }

            var modifiers = new JsonArray();
            if (sp.TryGetProperty("modifier", out var ms))
            {
                foreach (var m in ms.EnumerateArray())
                {
                    modifiers.Add(m.GetString());
                }
            }

            foreach (var baseElement in sp.GetProperty("base").EnumerateArray())
            {
                var baseName = baseElement.GetString()!;
                var paths = new JsonArray();
                var unsupported = new JsonArray();
                foreach (var part in SplitUnion(expression))
                {
                    var reduced = ReducePart(part);
                    if (reduced is null)
                    {
                        if (part.StartsWith(baseName + ".", StringComparison.Ordinal) || part.StartsWith("(" + baseName + ".", StringComparison.Ordinal))
                        {
                            unsupported.Add(part);
                        }

                        continue;
                    }

                    var root = reduced[..reduced.IndexOf('.', StringComparison.Ordinal)];
                    if (root == baseName)
                    {
                        paths.Add(reduced);
                    }
                }

                var line = new JsonObject
                {
                    ["kind"] = "search",
                    ["resource"] = baseName,
                    ["name"] = code,
                    ["type"] = type,
                    ["indexed"] = IndexedTypes.Contains(type) && paths.Count > 0,
                    ["paths"] = paths,
                    ["targets"] = targets.DeepClone(),
                    ["modifiers"] = modifiers.DeepClone(),
                };
                if (unsupported.Count > 0)
                {
                    line["unsupported"] = unsupported;
                }

                yield return line;
            }
        }

    }

    private static IEnumerable<string> SplitUnion(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            yield break;
        }

        var depth = 0;
        var start = 0;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                depth--;
            }
            else if (c == '|' && depth == 0)
            {
                yield return expression[start..i].Trim();
                start = i + 1;
            }
        }

        yield return expression[start..].Trim();
    }

    private static string? ReducePart(string part)
    {
        var p = part.Trim();
        var asMatch = AsOperator().Match(p);
        if (asMatch.Success)
        {
            p = asMatch.Groups[1].Value + Capitalize(asMatch.Groups[2].Value) + asMatch.Groups[3].Value;
        }

        p = AsFunction().Replace(p, m => Capitalize(m.Groups[1].Value));
        string? resolveIs = null;
        var resolve = ResolveIs().Match(p);
        if (resolve.Success)
        {
            resolveIs = resolve.Groups[1].Value;
            p = p.Remove(resolve.Index, resolve.Length);
        }

        p = WhereEquals().Replace(p, m => $"[{m.Groups[1].Value}={m.Groups[2].Value}]");
        if (!SimplePath().IsMatch(p))
        {
            return null;
        }

        return resolveIs is null ? p : p + "@" + resolveIs;
    }

    private static string Capitalize(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    [GeneratedRegex(@"^\(?([^()]+) as ([A-Za-z]+)\)?((?:\.[a-z][A-Za-z]*)*)$")]
    private static partial Regex AsOperator();

    [GeneratedRegex(@"\.as\(([A-Za-z]+)\)")]
    private static partial Regex AsFunction();

    [GeneratedRegex(@"\.where\(resolve\(\) is ([A-Za-z]+)\)$")]
    private static partial Regex ResolveIs();

    [GeneratedRegex(@"\.where\(([a-z][A-Za-z]*)='([^']*)'\)")]
    private static partial Regex WhereEquals();

    [GeneratedRegex(@"^[A-Z][A-Za-z]*(\.[a-z][A-Za-z0-9]*(\[[a-z][A-Za-z]*=[^\]]*\])?)+$")]
    private static partial Regex SimplePath();
}
