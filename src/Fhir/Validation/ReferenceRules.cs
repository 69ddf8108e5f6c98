using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PatientStream.Fhir.Definitions;

namespace PatientStream.Fhir.Validation;

/// <summary>Reference.reference must be relative (Type/id[/_history/vid]), absolute, a urn:uuid/urn:oid, or #local.</summary>
internal static partial class ReferenceRules
{
    public static void Validate(JsonObject reference, ElementDefinition element, string location, List<ValidationIssue> issues)
    {
        if (reference["reference"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            return;
        }

        var text = v.GetValue<string>();
        if (!TryParse(text, out var type, out _))
        {
            issues.Add(new ValidationIssue(IssueCodes.InvalidReference, "value", location + ".reference", $"'{text}' is not a valid reference."));
            return;
        }

        if (type is null || element.TargetTypes.Count == 0 || element.TargetTypes.Contains("Resource"))
        {
            return;
        }

        if (!FhirDefinitions.R4.IsResourceType(type))
        {
            issues.Add(new ValidationIssue(IssueCodes.InvalidReference, "value", location + ".reference", $"'{type}' is not a resource type."));
        }
        else if (!element.TargetTypes.Contains(type))
        {
            issues.Add(new ValidationIssue(IssueCodes.ReferenceTarget, "value", location + ".reference", $"{element.Name} may not refer to a {type} (allowed: {string.Join(", ", element.TargetTypes)})."));
        }
    }

    /// <summary>Parses a reference; <paramref name="type"/> and <paramref name="id"/> are set for relative and RESTful absolute ones.</summary>
    public static bool TryParse(string text, out string? type, out string? id)
    {
        type = null;
        id = null;
        if (text.StartsWith('#'))
        {
            return text.Length > 1;
        }

        if (text.StartsWith("urn:uuid:", StringComparison.Ordinal))
        {
            return UrnUuid().IsMatch(text);
        }

        if (text.StartsWith("urn:oid:", StringComparison.Ordinal))
        {
            return UrnOid().IsMatch(text);
        }

        var m = Relative().Match(text);
        if (m.Success)
        {
            type = m.Groups[1].Value;
            id = m.Groups[2].Value;
            return true;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            var tail = AbsoluteTail().Match(uri.AbsolutePath);
            if (tail.Success && FhirDefinitions.R4.IsResourceType(tail.Groups[1].Value))
            {
                type = tail.Groups[1].Value;
                id = tail.Groups[2].Value;
            }

            return true;
        }

        return false;
    }

    [GeneratedRegex(@"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-\.]{1,64})(/_history/[A-Za-z0-9\-\.]{1,64})?$")]
    private static partial Regex Relative();

    [GeneratedRegex(@"/([A-Z][A-Za-z]+)/([A-Za-z0-9\-\.]{1,64})(/_history/[A-Za-z0-9\-\.]{1,64})?$")]
    private static partial Regex AbsoluteTail();

    [GeneratedRegex("^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex UrnUuid();

    [GeneratedRegex(@"^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$")]
    private static partial Regex UrnOid();
}
