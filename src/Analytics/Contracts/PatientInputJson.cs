using System.Text.Json;
using System.Text.Json.Serialization;

namespace PatientStream.Analytics.Contracts;

/// <summary>
/// JSON of the patient inputs, with a <c>"type"</c> discriminator (<c>measurement</c>, <c>clinical-context</c>,
/// <c>clock-tick</c>). Used where an input leaves the process: dead letters, and a topic between ingest and analytics
/// when they run as separate consumer groups.
/// </summary>
public static class PatientInputJson
{
    /// <summary>UTF-8 JSON of an input.</summary>
    public static byte[] Serialize(PatientInput input) => JsonSerializer.SerializeToUtf8Bytes(input, PatientInputJsonContext.Default.PatientInput);

    /// <summary>Reads an input; false with a reason when the JSON is not one.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out PatientInput? input, out string? error)
    {
        try
        {
            input = JsonSerializer.Deserialize(json, PatientInputJsonContext.Default.PatientInput);
            error = input is null ? "empty patient input" : null;
            return input is not null;
        }
        catch (JsonException ex)
        {
            input = null;
            error = "malformed patient input: " + ex.Message;
            return false;
        }
        catch (NotSupportedException ex)
        {
            input = null;
            error = "unknown patient input: " + ex.Message;
            return false;
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PatientInput))]
internal sealed partial class PatientInputJsonContext : JsonSerializerContext;
