using System.CommandLine;

namespace PatientStream.Host.Commands;

/// <summary><c>patientstream serve</c>: the hospital-side server.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1.", DefaultValueFactory = _ => 8080 };
        var dataDir = new Option<string>("--data-dir") { Description = "Folder for the SQLite store and server state.", DefaultValueFactory = _ => "data" };
        var store = StoreOptions.Store();
        var postgres = StoreOptions.Postgres();
        var command = new Command("serve", "Run the hospital-side server: FHIR R4 API, consent decisions, device attestation.")
        {
            port, dataDir, store, postgres,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new ServerSettings(result.GetValue(port), Path.GetFullPath(result.GetValue(dataDir)!), result.GetValue(store)!, result.GetValue(postgres));
            if (StoreOptions.Refuse([.. settings.Problems()]))
            {
                return 2;
            }
            await using var app = ServerHost.Build(settings);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"serving on {settings.BaseUrl} (data in {settings.DataDirectory}, store {settings.Store})");
            foreach (var part in ServerParts.Available)
            {
                Console.WriteLine($"  {part}");
            }
            Console.WriteLine($"READY fhir={settings.BaseUrl}/fhir");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
