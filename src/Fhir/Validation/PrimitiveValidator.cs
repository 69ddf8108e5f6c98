using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;

namespace PatientStream.Fhir.Validation;

/// <summary>Checks a primitive's JSON kind and lexical form against the official regex, plus calendar validity.</summary>
internal static class PrimitiveValidator
{
    public static void Validate(JsonNode value, PrimitiveDefinition primitive, string location, List<ValidationIssue> issues)
    {
        if (value is not JsonValue v)
        {
            issues.Add(new ValidationIssue(IssueCodes.WrongJsonType, "structure", location, $"A {primitive.Name} must be a JSON {Describe(primitive.JsonKind)}."));
            return;
        }

        var kind = v.GetValueKind();
        var expected = primitive.JsonKind switch
        {
            PrimitiveJsonKind.Boolean => kind is JsonValueKind.True or JsonValueKind.False,
            PrimitiveJsonKind.Number => kind == JsonValueKind.Number,
            _ => kind == JsonValueKind.String,
        };
        if (!expected)
        {
            issues.Add(new ValidationIssue(IssueCodes.WrongJsonType, "structure", location, $"A {primitive.Name} must be a JSON {Describe(primitive.JsonKind)}, not {kind}."));
            return;
        }

        if (primitive.JsonKind == PrimitiveJsonKind.Boolean)
        {
            return;
        }

        var text = kind == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();
        if (kind == JsonValueKind.String && text.Length == 0)
        {
            issues.Add(new ValidationIssue(IssueCodes.EmptyValue, "value", location, "Strings must not be empty."));
            return;
        }

        if ((primitive.Pattern is { } pattern && !pattern.IsMatch(text)) || !InRange(primitive.Name, text))
        {
            issues.Add(new ValidationIssue(IssueCodes.InvalidPrimitive, "value", location, $"'{Truncate(text)}' is not a valid {primitive.Name}."));
        }
    }

    private static bool InRange(string type, string text) => type switch
    {
        "integer" or "unsignedInt" or "positiveInt" => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        "date" or "dateTime" or "instant" => FhirDateTime.TryParse(text, out _),
        _ => true,
    };

    private static string Describe(PrimitiveJsonKind kind) => kind switch
    {
        PrimitiveJsonKind.Boolean => "boolean",
        PrimitiveJsonKind.Number => "number",
        _ => "string",
    };

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
