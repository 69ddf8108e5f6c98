using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Validation;

namespace PatientStream.Fhir.Search;

/// <summary>Extracts the index rows of every indexed search parameter of a resource, at write time.</summary>
public sealed class SearchIndexer(FhirDefinitions definitions)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (SearchParameterDefinition Parameter, ElementWalker.CompiledPath[] Paths)[]> _plans = new(StringComparer.Ordinal);

    // _id and _lastUpdated are answered from the resource table itself.
    private (SearchParameterDefinition, ElementWalker.CompiledPath[])[] Plan(string resourceType) =>
        [.. definitions.SearchParameters(resourceType).Values
            .Where(sp => sp.Indexed && sp.Name is not ("_id" or "_lastUpdated") && IndexLayout.For(definitions).IsStored(resourceType, sp.Name))
            .Select(sp => (sp, sp.Paths.Select(ElementWalker.Compile).ToArray()))];

    public IndexEntries Extract(string resourceType, JsonObject resource)
    {
        var entries = new IndexEntries();
        var values = new List<TypedNode>();
        foreach (var (sp, paths) in _plans.GetOrAdd(resourceType, Plan))
        {
            values.Clear();
            foreach (var path in paths)
            {
                ElementWalker.Collect(definitions, resource, path, values);
            }

            foreach (var value in values)
            {
                Add(entries, sp, value);
            }
        }

        return entries;
    }

    private static void Add(IndexEntries entries, SearchParameterDefinition sp, TypedNode value)
    {
        switch (sp.Type)
        {
            case SearchParamType.String:
                AddStrings(entries, sp.Name, value);
                break;
            case SearchParamType.Token:
                AddTokens(entries, sp.Name, value);
                break;
            case SearchParamType.Reference:
                AddReference(entries, sp.Name, value);
                break;
            case SearchParamType.Date:
                AddDate(entries, sp.Name, value);
                break;
            case SearchParamType.Quantity:
                AddQuantity(entries, sp.Name, value);
                break;
            case SearchParamType.Uri when Str(value.Node) is { } uri:
                entries.Uris.Add(new UriIndex(sp.Name, uri));
                break;
            case SearchParamType.Number when Num(value.Node) is { } number:
                entries.Numbers.Add(new NumberIndex(sp.Name, number));
                break;
            default:
                break;
        }
    }

    private static void AddStrings(IndexEntries entries, string param, TypedNode value)
    {
        IEnumerable<string?> texts = value.TypeCode switch
        {
            "HumanName" => Strings(value.Node, "text", "family", "given", "prefix", "suffix"),
            "Address" => Strings(value.Node, "text", "line", "city", "district", "state", "postalCode", "country"),
            _ => [Str(value.Node)],
        };
        foreach (var text in texts)
        {
            if (!string.IsNullOrEmpty(text))
            {
                entries.Strings.Add(new StringIndex(param, Normalize(text), text));
            }
        }
    }

    private static void AddTokens(IndexEntries entries, string param, TypedNode value)
    {
        var node = value.Node;
        switch (value.TypeCode)
        {
            case "Coding":
                entries.Tokens.Add(new TokenIndex(param, Str(node["system"]), Str(node["code"]), NormalizeOrNull(Str(node["display"]))));
                break;
            case "CodeableConcept":
                var text = NormalizeOrNull(Str(node["text"]));
                if (node["coding"] is JsonArray codings)
                {
                    foreach (var c in codings.OfType<JsonObject>())
                    {
                        entries.Tokens.Add(new TokenIndex(param, Str(c["system"]), Str(c["code"]), NormalizeOrNull(Str(c["display"])) ?? text));
                    }
                }
                else if (text is not null)
                {
                    entries.Tokens.Add(new TokenIndex(param, null, null, text));
                }

                break;
            case "Identifier":
                entries.Tokens.Add(new TokenIndex(param, Str(node["system"]), Str(node["value"]), NormalizeOrNull(Str(node["type"]?["text"]))));
                break;
            case "ContactPoint":
                entries.Tokens.Add(new TokenIndex(param, null, Str(node["value"]), null));
                break;
            case "boolean" when node is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                entries.Tokens.Add(new TokenIndex(param, null, b.GetValueKind() == JsonValueKind.True ? "true" : "false", null));
                break;
            default:
                if (Str(node) is { } code)
                {
                    entries.Tokens.Add(new TokenIndex(param, null, code, null));
                }

                break;
        }
    }

    private static void AddReference(IndexEntries entries, string param, TypedNode value)
    {
        var text = value.TypeCode == "Reference" ? Str(value.Node["reference"]) : Str(value.Node);
        if (text is null)
        {
            if (value.Node["identifier"] is JsonObject onlyIdentifier)
            {
                entries.Tokens.Add(new TokenIndex(param + ":identifier", Str(onlyIdentifier["system"]), Str(onlyIdentifier["value"]), null));
            }

            return;
        }

        // Reference.identifier is indexed as a token under "param:identifier" for the :identifier modifier.
        if (value.Node["identifier"] is JsonObject identifier)
        {
            entries.Tokens.Add(new TokenIndex(param + ":identifier", Str(identifier["system"]), Str(identifier["value"]), null));
        }

        var parsed = ReferenceRules.TryParse(text, out var type, out var id);
        entries.References.Add(new ReferenceIndex(param, parsed ? type : null, parsed ? id : null, text));
    }

    private static void AddDate(IndexEntries entries, string param, TypedNode value)
    {
        var node = value.Node;
        switch (value.TypeCode)
        {
            case "Period":
                var low = Str(node["start"]) is { } s && FhirDateTime.TryParse(s, out var start) ? start.LowTicks : DateTimeOffset.MinValue.UtcTicks;
                var high = Str(node["end"]) is { } e && FhirDateTime.TryParse(e, out var end) ? end.HighTicks : DateTimeOffset.MaxValue.UtcTicks;
                entries.Dates.Add(new DateIndex(param, low, high));
                break;
            case "Timing":
                if (node["event"] is JsonArray events)
                {
                    foreach (var ev in events)
                    {
                        if (Str(ev) is { } t && FhirDateTime.TryParse(t, out var r))
                        {
                            entries.Dates.Add(new DateIndex(param, r.LowTicks, r.HighTicks));
                        }
                    }
                }

                break;
            default:
                if (Str(node) is { } text && FhirDateTime.TryParse(text, out var range))
                {
                    entries.Dates.Add(new DateIndex(param, range.LowTicks, range.HighTicks));
                }

                break;
        }
    }

    private static void AddQuantity(IndexEntries entries, string param, TypedNode value)
    {
        if (value.Node is JsonObject o && Num(o["value"]) is { } number)
        {
            entries.Quantities.Add(new QuantityIndex(param, Str(o["system"]), Str(o["code"]) ?? Str(o["unit"]), number));
        }
    }

    private static IEnumerable<string?> Strings(JsonNode node, params string[] names)
    {
        foreach (var name in names)
        {
            switch (node[name])
            {
                case JsonArray array:
                    foreach (var item in array)
                    {
                        yield return Str(item);
                    }

                    break;
                case { } single:
                    yield return Str(single);
                    break;
                default:
                    break;
            }
        }
    }

    internal static string? Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static decimal? Num(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
        && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    private static string? NormalizeOrNull(string? text) => text is null ? null : Normalize(text);

    /// <summary>Lower case without diacritics: FHIR string search is case- and accent-insensitive.</summary>
    public static string Normalize(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                sb.Append(char.ToLowerInvariant(c));
            }
        }

        return sb.ToString();
    }
}
