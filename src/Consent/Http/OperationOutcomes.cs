using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using PatientStream.Consent.Attestation;

namespace PatientStream.Consent.Http;

/// <summary>The one place where refusals become HTTP status codes and FHIR OperationOutcome bodies.</summary>
internal static class OperationOutcomes
{
    public const string ErrorSystem = "urn:patientstream:consent-error";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static IResult Error(int status, string code, string message, string issueType = "invalid") =>
        Results.Json(
            new JsonObject
            {
                ["resourceType"] = "OperationOutcome",
                ["issue"] = new JsonArray(new JsonObject
                {
                    ["severity"] = "error",
                    ["code"] = issueType,
                    ["details"] = new JsonObject
                    {
                        ["coding"] = new JsonArray(new JsonObject { ["system"] = ErrorSystem, ["code"] = code }),
                        ["text"] = message,
                    },
                    ["diagnostics"] = message,
                }),
            },
            statusCode: status,
            contentType: "application/fhir+json");

    public static IResult Invalid(string message) => Error(StatusCodes.Status400BadRequest, "invalid-request", message);

    public static IResult From(AttestationException ex) => ex.Error switch
    {
        AttestationError.InvalidRequest => Error(StatusCodes.Status400BadRequest, ex.Code, ex.Message),
        AttestationError.DeviceRevoked or AttestationError.DeviceNotBound => Error(StatusCodes.Status403Forbidden, ex.Code, ex.Message, "forbidden"),
        AttestationError.RenewalTooEarly => Error(StatusCodes.Status409Conflict, ex.Code, ex.Message, "business-rule"),
        AttestationError.TooManyPendingChallenges => Error(StatusCodes.Status503ServiceUnavailable, ex.Code, ex.Message, "throttled"),
        _ => Error(StatusCodes.Status401Unauthorized, ex.Code, ex.Message, "security"),
    };

    /// <summary>Reads a JSON body into <typeparamref name="T"/>; a malformed body becomes a 400 with the reason.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext context)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, Json, context.RequestAborted).ConfigureAwait(false);
            return value is null ? (null, Invalid("the request body is empty")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Invalid("the request body is not valid: " + ex.Message));
        }
    }
}
