using System.Text.Json;
using PatientStream.Consent.Policy;

namespace PatientStream.Consent.Http;

/// <summary>
/// Reads the decision API's request, <c>{"patient","purpose","codes","actor"?,"device"?,"dataTime"?,"action"?}</c>,
/// saying exactly what is wrong with a malformed one.
/// </summary>
internal static class DecisionRequestParser
{
    public static bool TryParse(JsonElement body, out ConsentRequest? request, out string? reason)
    {
        request = null;
        reason = Check(body, out var parsed);
        request = parsed;
        return reason is null;
    }

    private static string? Check(JsonElement body, out ConsentRequest? request)
    {
        request = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            return "the request must be a JSON object";
        }

        string? error = null;
        var patient = Text("patient");
        var purpose = Text("purpose");
        var actor = Text("actor");
        var device = Text("device");
        var dataTimeText = Text("dataTime");
        var action = Text("action");
        if (error is not null)
        {
            return error;
        }

        if (patient is null || !IsReference(patient, "Patient"))
        {
            return "patient is required and must be a reference like \"Patient/123\"";
        }

        if (string.IsNullOrWhiteSpace(purpose))
        {
            return "purpose is required (a PurposeOfUse code such as \"TREAT\")";
        }

        if (!body.TryGetProperty("codes", out var codesElement) || codesElement.ValueKind != JsonValueKind.Array || codesElement.GetArrayLength() == 0)
        {
            return "codes is required: a non-empty array of \"system|code\" strings";
        }

        var codes = new List<string>();
        foreach (var code in codesElement.EnumerateArray())
        {
            var text = code.ValueKind == JsonValueKind.String ? code.GetString() : null;
            var bar = text?.LastIndexOf('|') ?? -1;
            if (text is null || bar <= 0 || bar == text.Length - 1)
            {
                return $"codes[{codes.Count}] must be a \"system|code\" string";
            }

            codes.Add(text);
        }

        if (actor is not null && !actor.Contains('/', StringComparison.Ordinal))
        {
            return "actor must be a reference like \"Organization/x\"";
        }

        if (device is not null && !IsReference(device, "Device"))
        {
            return "device must be a reference like \"Device/y\"";
        }

        DateTimeOffset? dataTime = null;
        if (dataTimeText is not null)
        {
            if (!FhirPeriod.TryParseDateTime(dataTimeText, asEnd: false, out var instant))
            {
                return "dataTime must be a FHIR dateTime with a time zone, e.g. \"2026-11-21T10:00:04Z\"";
            }

            dataTime = instant;
        }

        request = new ConsentRequest(patient, purpose, codes, actor, device, dataTime, action);
        return null;

        string? Text(string name)
        {
            if (!body.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (element.ValueKind != JsonValueKind.String)
            {
                error ??= $"{name} must be a string";
                return null;
            }

            return element.GetString();
        }
    }

    private static bool IsReference(string value, string type) =>
        value.StartsWith(type + "/", StringComparison.Ordinal) && value.Length > type.Length + 1
        && value[(type.Length + 1)..].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');
}
