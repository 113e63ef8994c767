using System.Net;
using System.Net.Sockets;

namespace ModelRegistry.Common;

/// <summary>
/// What the registry's outbound policies (downloads, serving endpoints) share: the kind of an address, and a connection
/// made only to addresses a policy checked. Each policy decides which addresses it allows; checking them in the
/// <see cref="SocketsHttpHandler.ConnectCallback"/>, on the addresses actually dialled, is what defeats DNS rebinding
/// and redirects.
/// </summary>
internal static class Egress
{
    /// <summary>
    /// A handler whose every connection goes through <paramref name="connect"/>: no proxy to route around it, redirects left
    /// to the caller (so each hop is checked and credentials stay with their host), bodies as sent (decompression would defeat
    /// a size limit).
    /// </summary>
    public static SocketsHttpHandler Handler(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> connect, TimeSpan connectTimeout) =>
        new()
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
            ConnectCallback = connect,
            ConnectTimeout = connectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };

    /// <summary>The addresses of a host: the literal itself, or what <paramref name="resolver"/> answers for a name.</summary>
    public static async Task<IPAddress[]> AddressesAsync(string host, Func<string, CancellationToken, Task<IPAddress[]>> resolver, CancellationToken ct) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await resolver(host, ct);

    /// <summary>Dials the first of <paramref name="addresses"/> that answers; the caller has checked every one.</summary>
    public static async ValueTask<Stream> DialAsync(IPAddress[] addresses, int port, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The IPv4 address an IPv6 one leads to (IPv4-mapped, NAT64, 6to4), or the address itself: a policy judges where a
    /// connection ends up, not how the address is spelled.
    /// </summary>
    public static IPAddress LeadsTo(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        var v6 = address.GetAddressBytes();
        return v6 switch
        {
            [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0, ..] => new IPAddress(v6.AsSpan(12, 4)),
            [0x20, 0x02, ..] => new IPAddress(v6.AsSpan(2, 4)),
            _ => address,
        };
    }

    /// <summary>loopback, link-local (cloud metadata), private, multicast, unspecified, reserved or public.</summary>
    public static string Classify(IPAddress address)
    {
        var target = LeadsTo(address);
        if (target.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = target.GetAddressBytes();
            return b switch
            {
                [127, ..] => "loopback",
                [169, 254, ..] => "link-local",
                [0, ..] => "unspecified",
                [10, ..] or [172, >= 16 and <= 31, ..] or [192, 168, ..] or [100, >= 64 and <= 127, ..] => "private",
                [192, 0, 0, _] or [198, 18 or 19, ..] => "reserved",
                [>= 224 and <= 239, ..] => "multicast",
                [>= 240, ..] => "reserved",
                _ => "public",
            };
        }

        if (target.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "reserved";
        }

        if (target.Equals(IPAddress.IPv6Loopback))
        {
            return "loopback";
        }

        if (target.Equals(IPAddress.IPv6Any))
        {
            return "unspecified";
        }

        if (target.IsIPv6LinkLocal || target.IsIPv6SiteLocal)
        {
            return "link-local";
        }

        if (target.IsIPv6Multicast)
        {
            return "multicast";
        }

        var v6 = target.GetAddressBytes();
        if ((v6[0] & 0xFE) == 0xFC)
        {
            return "private";
        }

        // IPv4-compatible addresses are deprecated; nothing legitimate is reached through them.
        return v6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 ? "reserved" : "public";
    }
}
