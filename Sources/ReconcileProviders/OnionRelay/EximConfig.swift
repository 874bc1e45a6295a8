/// Exim's side (the hand-run set-up's): a domain list backed by the cdb, a manualroute router that asks Tor
/// for the automapped address of the domain's onion MX, and an SMTP transport through Tor's SOCKS port.
enum EximConfig {
    static func header(_ resource: String) -> String {
        "# Managed by reconcile (\(resource)); local edits are overwritten.\n"
    }

    static func main(_ spec: OnionRelaySpec, resource: String) -> String {
        header(resource) + """
            domainlist onion_relays = cdb;\(spec.cdb)
            perl_startup = do '\(spec.exim.perlFile)'
            perl_at_start

            """
    }

    static func router(_ spec: OnionRelaySpec, resource: String) -> String {
        header(resource) + """
            # Send mail for mapped domains over Tor.
            onionrelays:
              driver = manualroute
              domains = +onion_relays
              transport = onion_relay
              route_data = ${perl{onionLookup}{${lookup{$domain}cdb{\(spec.cdb)}}}}
              no_more

            """
    }

    static func transport(_ spec: OnionRelaySpec, resource: String) -> String {
        header(resource) + """
            onion_relay:
              driver = smtp
              socks_proxy = \(spec.tor.socksAddress) port=\(spec.tor.socksPort)

            """
    }

    /// Asks Tor's DNS port for the automapped address of an onion name.
    static func perl(_ spec: OnionRelaySpec, resource: String) -> String {
        header(resource) + """
            use strict;
            use warnings;
            use Net::DNS::Resolver;

            sub onionLookup {
                my $hostname = shift;
                my $resolver = Net::DNS::Resolver->new(
                    nameservers => ['\(spec.tor.dnsAddress)'], port => \(spec.tor.dnsPort), recurse => 1);
                my $query = $resolver->search($hostname, 'A');
                return 'no_such_host' unless $query;
                foreach my $record ($query->answer) {
                    return $record->address if $record->type eq 'A';
                }
                return 'no_such_host';
            }

            1;

            """
    }

    /// A complete configuration around the three snippets, for `exim -C FILE -bV`.
    static func checkConfiguration(_ spec: OnionRelaySpec, resource: String) -> String {
        "primary_hostname = reconcile.check.invalid\n" + main(spec, resource: resource)
            + "begin routers\n" + router(spec, resource: resource)
            + "begin transports\n" + transport(spec, resource: resource)
    }
}
