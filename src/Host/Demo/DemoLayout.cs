using System.Net;
using System.Net.Sockets;

namespace PatientStream.Host.Demo;

/// <summary>
/// Where a demo run keeps its files. Everything lives in the data folder, which the demo claims with a marker file
/// and empties at the start of a run: the simulator starts its sequence numbers at 1 again, so state kept from an
/// earlier run (dedupe, buffers) would swallow the new readings.
/// </summary>
internal sealed class DemoLayout
{
    private const string Marker = ".patientstream-demo";

    public DemoLayout(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>serve's data folder; ingest and analytics open the same FHIR store (<c>server/fhir</c>) from it.</summary>
    public string Server => Path.Combine(Root, "server");

    public string DeviceCa => Path.Combine(Server, "device-ca");

    public string ManufacturerRoots => Path.Combine(Server, "manufacturer-roots");

    public string Manufacturer => Path.Combine(Root, "manufacturer");

    public string Edge => Path.Combine(Root, "edge");

    public string Broker => Path.Combine(Root, "mosquitto");

    public string Influx => Path.Combine(Root, "influxdb");

    public string Logs => Path.Combine(Root, "logs");

    public string Pids => Path.Combine(Root, "pids");

    public string LogFile(string child) => Path.Combine(Logs, child + ".log");

    public string PidFile(string child) => Path.Combine(Pids, child + ".pid");

    /// <summary>Creates the folder tree; an existing demo folder is emptied, any other non-empty folder is refused.</summary>
    public void Prepare()
    {
        if (IsClaimed())
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(Root))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else if (!entry.EndsWith(Marker, StringComparison.Ordinal))
                {
                    File.Delete(entry);
                }
            }
        }
        foreach (var folder in new[] { Root, Server, Edge, Broker, Influx, Logs, Pids, ManufacturerRoots })
        {
            Directory.CreateDirectory(folder);
        }
        File.WriteAllText(Path.Combine(Root, Marker), "This folder belongs to `patientstream demo`; each run empties it.\n");
    }

    /// <summary>True when the folder holds an earlier demo run; throws when it is non-empty and not the demo's.</summary>
    public bool IsClaimed()
    {
        if (!Directory.Exists(Root) || !Directory.EnumerateFileSystemEntries(Root).Any())
        {
            return false;
        }
        return File.Exists(Path.Combine(Root, Marker))
            ? true
            : throw new DemoStartupException($"{Root} is not empty and was not made by a demo run; give --data-dir an empty or new folder.");
    }

    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>True once something accepts TCP connections on the loopback port.</summary>
    public static async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
