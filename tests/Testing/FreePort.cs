using System.Net;
using System.Net.Sockets;

namespace PatientStream.Testing;

/// <summary>Hands out loopback ports that are free now and not handed out twice by this process.</summary>
public static class FreePort
{
    private static readonly HashSet<int> s_given = [];
    private static readonly Lock s_lock = new();

    public static int Next()
    {
        lock (s_lock)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (s_given.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>True when something accepts TCP connections on the loopback port.</summary>
    public static async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
