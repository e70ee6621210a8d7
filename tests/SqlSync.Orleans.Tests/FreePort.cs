using System.Net;
using System.Net.Sockets;

namespace SqlSync.Orleans.Tests;

internal static class FreePort
{
    /// <summary>A port free on 127.0.0.1 now (Orleans binds its silo and gateway ports itself).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
