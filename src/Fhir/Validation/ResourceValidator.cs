using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;

namespace PatientStream.Fhir.Validation;

/// <summary>
/// Validates any R4 resource against the generated definitions. It keeps going after a failure and reports every
/// issue with the FHIRPath-style location of the failing element (<c>Patient.name[0].given[1]</c>).
/// </summary>
public sealed class ResourceValidator(FhirDefinitions definitions)
{
    private const int MaxDepth = 48;

    public IReadOnlyList<ValidationIssue> Validate(JsonNode? resource)
    {
        var issues = new List<ValidationIssue>();
        if (resource is not JsonObject obj)
        {
            issues.Add(new ValidationIssue(IssueCodes.NotAResource, "structure", string.Empty, "The body is not a JSON object."));
            return issues;
        }

        ValidateResource(obj, null, issues, 0);
        return issues;
    }

    private void ValidateResource(JsonObject obj, string? location, List<ValidationIssue> issues, int depth)
    {
        if (obj["resourceType"] is not JsonValue rt || rt.GetValueKind() != JsonValueKind.String)
        {
            issues.Add(new ValidationIssue(IssueCodes.NotAResource, "structure", location ?? string.Empty, "resourceType is missing or not a string."));
            return;
        }

        var type = rt.GetValue<string>();
        if (!definitions.IsResourceType(type))
        {
            issues.Add(new ValidationIssue(IssueCodes.UnknownResourceType, "not-supported", location is null ? "resourceType" : location + ".resourceType", $"'{type}' is not an R4 resource type."));
            return;
        }

        ValidateObject(obj, type, location ?? type, isResourceRoot: true, issues, depth);
    }

    private void ValidateObject(JsonObject obj, string definitionPath, string location, bool isResourceRoot, List<ValidationIssue> issues, int depth)
    {
        if (depth > MaxDepth)
        {
            issues.Add(new ValidationIssue(IssueCodes.WrongJsonType, "structure", location, "Nesting is too deep."));
            return;
        }

        var map = definitions.PropertyMap(definitionPath);
        if (obj.Count == 0)
        {
            issues.Add(new ValidationIssue(IssueCodes.EmptyValue, "structure", location, "Objects must not be empty."));
        }

        var choicesSeen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in obj)
        {
            if (name == "resourceType" && isResourceRoot)
            {
                continue;
            }

            var childLocation = location + "." + name;
            if (name.Length > 1 && name[0] == '_')
            {
                ValidatePrimitiveExtension(map, name[1..], value, childLocation, issues, depth);
                continue;
            }

            if (!map.TryGetValue(name, out var match))
            {
                var choice = definitions.Children(definitionPath).FirstOrDefault(e => e.IsChoice && name.StartsWith(e.Name, StringComparison.Ordinal) && name.Length > e.Name.Length && char.IsUpper(name[e.Name.Length]));
                issues.Add(choice is null
                    ? new ValidationIssue(IssueCodes.UnknownElement, "structure", childLocation, $"Unknown element '{name}'.")
                    : new ValidationIssue(IssueCodes.InvalidChoiceType, "structure", childLocation, $"'{name}' is not an allowed type for {choice.Name}[x] (allowed: {string.Join(", ", choice.Types)})."));
                continue;
            }

            if (match.Element.IsChoice && !choicesSeen.TryAdd(match.Element.Name, name))
            {
                issues.Add(new ValidationIssue(IssueCodes.DuplicateChoice, "structure", childLocation, $"{match.Element.Name}[x] is already given as '{choicesSeen[match.Element.Name]}'."));
            }

            ValidateElement(value, match, childLocation, issues, depth);
        }

        foreach (var element in definitions.Children(definitionPath))
        {
            if (element.Min > 0 && !IsPresent(obj, map, element))
            {
                issues.Add(new ValidationIssue(IssueCodes.MissingRequired, "required", location + "." + element.Name + (element.IsChoice ? "[x]" : string.Empty), $"{element.Name} is required (min {element.Min})."));
            }
        }
    }

    private static bool IsPresent(JsonObject obj, FrozenDictionary<string, ElementMatch> map, ElementDefinition element)
    {
        foreach (var (name, _) in obj)
        {
            var key = name.Length > 1 && name[0] == '_' ? name[1..] : name;
            if (map.TryGetValue(key, out var m) && ReferenceEquals(m.Element, element))
            {
                return true;
            }
        }

        return false;
    }

    private void ValidateElement(JsonNode? value, ElementMatch match, string location, List<ValidationIssue> issues, int depth)
    {
        var element = match.Element;
        if (element.IsRepeating)
        {
            if (value is not JsonArray array)
            {
                issues.Add(new ValidationIssue(IssueCodes.ExpectedArray, "structure", location, $"{element.Name} repeats and must be a JSON array."));
                return;
            }

            if (array.Count == 0)
            {
                issues.Add(new ValidationIssue(IssueCodes.EmptyValue, "structure", location, "Arrays must not be empty."));
            }

            if (element.MaxCount is { } max && array.Count > max)
            {
                issues.Add(new ValidationIssue(IssueCodes.TooMany, "structure", location, $"{element.Name} allows at most {max} item(s)."));
            }

            for (var i = 0; i < array.Count; i++)
            {
                ValidateSingle(array[i], match, $"{location}[{i}]", issues, depth);
            }

            return;
        }

        if (value is JsonArray)
        {
            issues.Add(new ValidationIssue(IssueCodes.UnexpectedArray, "structure", location, $"{element.Name} does not repeat (max 1) and must not be an array."));
            return;
        }

        ValidateSingle(value, match, location, issues, depth);
    }

    private void ValidateSingle(JsonNode? value, ElementMatch match, string location, List<ValidationIssue> issues, int depth)
    {
        if (value is null)
        {
            issues.Add(new ValidationIssue(IssueCodes.NullValue, "structure", location, "null is not allowed here."));
            return;
        }

        var element = match.Element;
        var primitive = definitions.Primitive(match.TypeCode);
        if (primitive is not null)
        {
            PrimitiveValidator.Validate(value, primitive, location, issues);
            if (element.RequiredValueSet is { } vs && value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                CheckCode(vs, null, v.GetValue<string>(), location, issues);
            }

            return;
        }

        if (value is not JsonObject obj)
        {
            issues.Add(new ValidationIssue(IssueCodes.WrongJsonType, "structure", location, $"{element.Name} must be a JSON object ({match.TypeCode})."));
            return;
        }

        if (match.TypeCode == "Resource" || definitions.IsResourceType(match.TypeCode))
        {
            ValidateResource(obj, location, issues, depth + 1);
            return;
        }

        if (element.ContentReference is { } cr)
        {
            ValidateObject(obj, cr, location, false, issues, depth + 1);
            return;
        }

        var inline = match.TypeCode is "BackboneElement" or "Element" && definitions.Children(element.Path).Count > 0;
        ValidateObject(obj, inline ? element.Path : match.TypeCode, location, false, issues, depth + 1);
        switch (match.TypeCode)
        {
            case "Reference":
                ReferenceRules.Validate(obj, element, location, issues);
                break;
            case "Coding" when element.RequiredValueSet is { } vs:
                CheckCoding(vs, obj, location, issues);
                break;
            case "CodeableConcept" when element.RequiredValueSet is { } vs && obj["coding"] is JsonArray codings:
                for (var i = 0; i < codings.Count; i++)
                {
                    if (codings[i] is JsonObject coding)
                    {
                        CheckCoding(vs, coding, $"{location}.coding[{i}]", issues);
                    }
                }

                break;
            default:
                break;
        }
    }

    private void ValidatePrimitiveExtension(FrozenDictionary<string, ElementMatch> map, string baseName, JsonNode? value, string location, List<ValidationIssue> issues, int depth)
    {
        if (!map.TryGetValue(baseName, out var match) || definitions.Primitive(match.TypeCode) is null)
        {
            issues.Add(new ValidationIssue(IssueCodes.UnknownElement, "structure", location, $"'_{baseName}' does not extend a primitive element."));
            return;
        }

        var items = value is JsonArray a ? a.ToArray() : [value];
        for (var i = 0; i < items.Length; i++)
        {
            var itemLocation = value is JsonArray ? $"{location}[{i}]" : location;
            switch (items[i])
            {
                case null when value is JsonArray:
                    break;
                case JsonObject o:
                    ValidateObject(o, "Element", itemLocation, false, issues, depth + 1);
                    break;
                default:
                    issues.Add(new ValidationIssue(IssueCodes.WrongJsonType, "structure", itemLocation, "Primitive extensions must be JSON objects."));
                    break;
            }
        }
    }

    private void CheckCoding(string valueSet, JsonObject coding, string location, List<ValidationIssue> issues)
    {
        if (coding["code"] is JsonValue code && code.GetValueKind() == JsonValueKind.String)
        {
            var system = coding["system"] is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : null;
            CheckCode(valueSet, system, code.GetValue<string>(), location + ".code", issues);
        }
    }

    private void CheckCode(string valueSet, string? system, string code, string location, List<ValidationIssue> issues)
    {
        var codes = definitions.ValueSetCodes(valueSet);
        if (codes is null)
        {
            return;
        }

        var known = system is not null
            ? codes.Contains(system + "|" + code)
            : codes.Any(c => c.EndsWith("|" + code, StringComparison.Ordinal));
        if (!known)
        {
            issues.Add(new ValidationIssue(IssueCodes.CodeNotInValueSet, "code-invalid", location, $"'{code}' is not in the required value set {valueSet}."));
        }
    }
}
