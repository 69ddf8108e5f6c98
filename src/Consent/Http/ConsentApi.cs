using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Devices;
using PatientStream.Consent.Policy;
using PatientStream.Consent.Records;

namespace PatientStream.Consent.Http;

public sealed record DeviceBindingRequest(string Patient, string Clinician);

public sealed record DeviceUnbindingRequest(string Clinician);

/// <summary>The mapped endpoints, split by who may call them.</summary>
public sealed record ApiGroups(RouteGroupBuilder Clients, RouteGroupBuilder Clinicians);

public static class ConsentApi
{
    /// <summary>Response header of <c>/consent/v1/decide</c>: "true" when the decision depends on <c>dataTime</c>.</summary>
    public const string DataTimeHeader = "PatientStream-Depends-On-Data-Time";

    /// <summary>
    /// Maps <c>POST /consent/v1/decide</c>, <c>GET /consent/v1/changes</c> (cache invalidation feed for edge
    /// clients) and the device binding endpoints under <c>/consent/v1/devices/{deviceId}</c>.
    /// </summary>
    /// <returns>
    /// The endpoint groups, so the host can require its authorization: <see cref="ApiGroups.Clients"/> for edge
    /// agents and services, <see cref="ApiGroups.Clinicians"/> for the device binding actions.
    /// </returns>
    public static ApiGroups MapConsentApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/consent/v1");
        var clinicians = endpoints.MapGroup("/consent/v1");
        group.MapPost("/decide", DecideAsync);
        group.MapGet("/changes", async (string? since, IConsentRecords records, HttpContext context) =>
        {
            var changes = await records.ChangesSinceAsync(since, context.RequestAborted).ConfigureAwait(false);
            return Results.Json(changes, OperationOutcomes.Json);
        });
        clinicians.MapGet("/devices/{deviceId}", async (string deviceId, DeviceRegistry devices, HttpContext context) =>
            await devices.FindAsync(deviceId, context.RequestAborted).ConfigureAwait(false) is { } binding
                ? Results.Json(binding, OperationOutcomes.Json)
                : OperationOutcomes.Error(StatusCodes.Status404NotFound, "device-unknown", $"device {deviceId} is not registered", "not-found"));
        clinicians.MapPut("/devices/{deviceId}/binding", BindAsync);
        clinicians.MapDelete("/devices/{deviceId}/binding", UnbindAsync);
        return new ApiGroups(group, clinicians);
    }

    private static async Task<IResult> DecideAsync(HttpContext context, ConsentDecisionService service)
    {
        JsonElement body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, OperationOutcomes.Json, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return OperationOutcomes.Invalid("the request body is not JSON: " + ex.Message);
        }

        if (!DecisionRequestParser.TryParse(body, out var request, out var reason))
        {
            return OperationOutcomes.Invalid(reason!);
        }

        var decision = await service.DecideAsync(request!, context.RequestAborted).ConfigureAwait(false);

        // Outside the body, whose shape is fixed: tells caching clients whether the data time mattered.
        context.Response.Headers[DataTimeHeader] = decision.DependsOnDataTime ? "true" : "false";
        return Results.Json(decision, OperationOutcomes.Json);
    }

    private static async Task<IResult> BindAsync(string deviceId, HttpContext context, DeviceRegistry devices)
    {
        var (request, error) = await OperationOutcomes.ReadAsync<DeviceBindingRequest>(context).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (!DeviceCa.IsValidDeviceId(deviceId) || !request!.Patient.StartsWith("Patient/", StringComparison.Ordinal) || string.IsNullOrWhiteSpace(request.Clinician))
        {
            return OperationOutcomes.Invalid("a valid device id, a patient reference (\"Patient/123\") and the clinician are required");
        }

        return Results.Json(await devices.BindToPatientAsync(deviceId, request.Patient, request.Clinician, context.RequestAborted).ConfigureAwait(false), OperationOutcomes.Json);
    }

    private static async Task<IResult> UnbindAsync(string deviceId, HttpContext context, DeviceRegistry devices)
    {
        var (request, error) = await OperationOutcomes.ReadAsync<DeviceUnbindingRequest>(context).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (!DeviceCa.IsValidDeviceId(deviceId) || string.IsNullOrWhiteSpace(request!.Clinician))
        {
            return OperationOutcomes.Invalid("a valid device id and the clinician are required");
        }

        return Results.Json(await devices.UnbindFromPatientAsync(deviceId, request.Clinician, context.RequestAborted).ConfigureAwait(false), OperationOutcomes.Json);
    }
}
