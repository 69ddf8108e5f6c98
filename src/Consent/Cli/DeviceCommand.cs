using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PatientStream.Consent.Cli;

/// <summary>
/// <c>patientstream device …</c>: the clinician's and administrator's device actions (bind, unbind, show,
/// revoke, reinstate) over the consent service's HTTP API, so every action is checked and audited in one place.
/// </summary>
public static class DeviceCommand
{
    /// <param name="output">Where answers go (standard output when null).</param>
    public static Command Create(TextWriter? output = null)
    {
        var server = new Option<string>("--server") { Description = "Base URL of the PatientStream server.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var device = new Argument<string>("device-id") { Description = "The device id (the CN of its certificate)." };
        var patient = new Option<string>("--patient") { Description = "The patient, e.g. Patient/123.", Required = true };
        var clinician = new Option<string>("--clinician") { Description = "Who is acting, e.g. Practitioner/abc.", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why the device is revoked.", Required = true };
        var by = new Option<string>("--by") { Description = "Who is acting, e.g. Practitioner/abc.", Required = true };

        var bind = new Command("bind", "Bind a device to a patient.") { device, patient, clinician };
        bind.SetAction((r, ct) => SendAsync(r.GetValue(server)!, HttpMethod.Put, $"consent/v1/devices/{r.GetValue(device)}/binding",
            new JsonObject { ["patient"] = r.GetValue(patient), ["clinician"] = r.GetValue(clinician) }, output, ct));

        var unbind = new Command("unbind", "Unbind a device from its patient.") { device, clinician };
        unbind.SetAction((r, ct) => SendAsync(r.GetValue(server)!, HttpMethod.Delete, $"consent/v1/devices/{r.GetValue(device)}/binding",
            new JsonObject { ["clinician"] = r.GetValue(clinician) }, output, ct));

        var show = new Command("show", "Show a device's binding and status.") { device };
        show.SetAction((r, ct) => SendAsync(r.GetValue(server)!, HttpMethod.Get, $"consent/v1/devices/{r.GetValue(device)}", null, output, ct));

        var revoke = new Command("revoke", "Revoke a device: all its certificates, the CRL, and its Device status.") { device, reason, by };
        revoke.SetAction((r, ct) => SendAsync(r.GetValue(server)!, HttpMethod.Post, "attestation/v1/revoke",
            new JsonObject { ["device"] = r.GetValue(device), ["reason"] = r.GetValue(reason), ["by"] = r.GetValue(by) }, output, ct));

        var reinstate = new Command("reinstate", "Let a revoked device enroll again.") { device, by };
        reinstate.SetAction((r, ct) => SendAsync(r.GetValue(server)!, HttpMethod.Post, "attestation/v1/reinstate",
            new JsonObject { ["device"] = r.GetValue(device), ["by"] = r.GetValue(by) }, output, ct));

        var command = new Command("device", "Device registry and revocation (clinician and administrator actions).")
        {
            bind, unbind, show, revoke, reinstate,
        };
        command.Options.Add(server);
        server.Recursive = true;
        return command;
    }

    private static async Task<int> SendAsync(string server, HttpMethod method, string path, JsonObject? body, TextWriter? output, CancellationToken cancellationToken)
    {
        var writer = output ?? Console.Out;
        using var http = new HttpClient { BaseAddress = new Uri(server.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                await writer.WriteLineAsync(text).ConfigureAwait(false);
                return 0;
            }

            var reason = TryDiagnostics(text) ?? text;
            await writer.WriteLineAsync($"refused ({(int)response.StatusCode}): {reason}").ConfigureAwait(false);
            return 1;
        }
        catch (HttpRequestException ex)
        {
            await writer.WriteLineAsync($"cannot reach {server}: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
    }

    private static string? TryDiagnostics(string text)
    {
        try
        {
            return JsonNode.Parse(text)?["issue"]?[0]?["diagnostics"]?.GetValue<string>();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
