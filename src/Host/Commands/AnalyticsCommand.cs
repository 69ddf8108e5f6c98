using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PatientStream.Host.Commands;

/// <summary><c>patientstream analytics</c>: one member of the analytics consumer group, writing FHIR and <c>ps.alerts</c>.</summary>
internal static class AnalyticsCommand
{
    public static Command Create()
    {
        var kafka = new Option<string>("--kafka") { Description = "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...].", Required = true };
        var dataDir = new Option<string>("--data-dir") { Description = "Folder for actor snapshots (analytics/) and the FHIR store (the one serve --data-dir uses).", DefaultValueFactory = _ => "data" };
        var store = StoreOptions.Store();
        var postgres = StoreOptions.Postgres();
        var command = new Command("analytics", "Per-patient analytics on the raw readings: NEWS2, trends and device quality as FHIR RiskAssessments and Flags, alerts on ps.alerts.")
        {
            kafka, dataDir, store, postgres,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new AnalyticsSettings(result.GetValue(kafka)!, Path.GetFullPath(result.GetValue(dataDir)!), result.GetValue(store)!, result.GetValue(postgres));
            return StoreOptions.Refuse([.. settings.Problems()]) ? 2 : await RunAsync(settings, Console.Out, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs until cancelled or until the analytics fail; prints <c>READY analytics</c> once partitions are assigned.</summary>
    public static async Task<int> RunAsync(AnalyticsSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        IHost host;
        try
        {
            host = AnalyticsHost.Build(settings);
        }
        catch (Exception e) when (e is OptionsValidationException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"analytics: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        using (host)
        {
            var service = host.Services.GetRequiredService<AnalyticsService>();
            var failed = false;
            try
            {
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
                await service.Assigned.WaitAsync(cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"READY analytics (kafka {settings.Kafka}, group {settings.GroupId}, store {settings.Store})").ConfigureAwait(false);
                // Returns on Ctrl-C, or once the analytics fail and stop the host; either way the host is stopped.
                await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed = true;
                await Console.Error.WriteLineAsync($"analytics failed: {e.Message}").ConfigureAwait(false);
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            return failed || service.ExecuteTask is { IsFaulted: true } ? 1 : 0;
        }
    }
}
