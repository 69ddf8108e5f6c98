using System.Text.Json;
using System.Text.Json.Serialization;

namespace PatientStream.Kafka.Contracts;

/// <summary>Source-generated System.Text.Json metadata for every message contract: no reflection on hot paths.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    AllowTrailingCommas = false,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(DeviceBatch))]
[JsonSerializable(typeof(RawReading))]
[JsonSerializable(typeof(DeadLetter))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;

/// <summary>Serialises and parses the contracts; parse failures come back as a reason, never an exception.</summary>
public static class ContractsJson
{
    public static byte[] Serialize(RawReading value) => JsonSerializer.SerializeToUtf8Bytes(value, ContractsJsonContext.Default.RawReading);

    public static byte[] Serialize(DeviceBatch value) => JsonSerializer.SerializeToUtf8Bytes(value, ContractsJsonContext.Default.DeviceBatch);

    public static byte[] Serialize(DeadLetter value) => JsonSerializer.SerializeToUtf8Bytes(value, ContractsJsonContext.Default.DeadLetter);

    public static bool TryParse(ReadOnlySpan<byte> utf8, out RawReading? value, out string? error) =>
        TryParse(utf8, ContractsJsonContext.Default.RawReading, out value, out error);

    public static bool TryParse(ReadOnlySpan<byte> utf8, out DeviceBatch? value, out string? error) =>
        TryParse(utf8, ContractsJsonContext.Default.DeviceBatch, out value, out error);

    public static bool TryParse(ReadOnlySpan<byte> utf8, out DeadLetter? value, out string? error) =>
        TryParse(utf8, ContractsJsonContext.Default.DeadLetter, out value, out error);

    private static bool TryParse<T>(ReadOnlySpan<byte> utf8, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info,
        out T? value, out string? error) where T : class
    {
        try
        {
            value = JsonSerializer.Deserialize(utf8, info);
            error = value is null ? "payload is JSON null" : null;
            return value is not null;
        }
        catch (JsonException e)
        {
            value = null;
            error = $"invalid {typeof(T).Name}: {e.Message}";
            return false;
        }
    }
}
