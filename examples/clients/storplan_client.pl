#!/usr/bin/perl
# A storplan served-API client in Perl with core modules only (HTTP::Tiny, JSON::PP) and
# IO::Socket::SSL (Debian: libio-socket-ssl-perl) for verified TLS.
#
#   STORPLAN_URL=https://127.0.0.1:8443 STORPLAN_TOKEN=stp_... STORPLAN_CA=ca.pem \
#   STORPLAN_ARRAY=array1 perl storplan_client.pl
#
# Creates a volume and a host, maps the volume, waits for each job, lists, plans and applies
# a manifest, then deletes what it made.
use strict;
use warnings;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep);

my ($url, $token, $ca, $array) = map { $ENV{$_} // die "set $_\n" }
    qw(STORPLAN_URL STORPLAN_TOKEN STORPLAN_CA STORPLAN_ARRAY);
my $json = JSON::PP->new->canonical;
my $http = HTTP::Tiny->new(
    verify_SSL      => 1,
    SSL_options     => { SSL_ca_file => $ca },
    default_headers => { Authorization => "Bearer $token", 'Content-Type' => 'application/json' },
);

sub call {
    my ($method, $path, $body) = @_;
    my $response = $http->request($method, "$url$path",
        defined $body ? { content => $json->encode($body) } : {});
    my $data = length $response->{content} ? $json->decode($response->{content}) : undef;
    die "$method $path: $response->{status} " . ($data ? "$data->{code}: $data->{detail}" : $response->{content}) . "\n"
        if $response->{status} >= 300;
    return ($data, $response->{headers}{location});
}

sub wait_for {    # poll a job (or apply job) until it is no longer running
    my ($location) = @_;
    for (1 .. 1200) {
        my ($job) = call('GET', $location);
        return $job if $job->{state} ne 'running';
        sleep 0.05;
    }
    die "$location still running\n";
}

sub operation {
    my ($name, $params, %consent) = @_;
    my ($job, $location) = call('POST', "/arrays/$array/operations/$name", { params => $params, %consent });
    my $done = wait_for($location);
    die "$name: $done->{state}\n" unless $done->{state} eq 'succeeded';
    return $done;
}

my $volume = operation('create_volume',
    { volume => 'perl-vol', pool => 'ssd', size => 1 << 30, thin => JSON::PP::true });
print "created volume $volume->{result}{id}\n";
operation('create_access_group', { host => 'perl-host', initiators => ['iqn.2024-01.com.example:perl'] });
my $mapped = operation('map_volume', { volume => 'perl-vol', host => 'perl-host', lun => undef });
print "mapped at LUN $mapped->{result}{lun}\n";
my ($volumes) = call('GET', "/arrays/$array/volumes");
die "perl-vol not listed\n" unless grep { $_->{name} eq 'perl-vol' } @$volumes;
print scalar(@$volumes), " volumes\n";

my $manifest = <<"YAML";
apiVersion: storplan.io/v1
kind: StorageState
metadata: {name: perl-client}
arrays:
  - name: $array
    provider: sim://
    system: sim-array-1
    pools: [{name: ssd}]
    volumes:
      - {name: perl-planned, pool: ssd, size: 1GiB, thin: true}
YAML
my ($plan) = call('POST', '/plans', { manifest => $manifest });
print scalar(@{ $plan->{actions} }), " planned action(s)\n";
my (undef, $location) = call('POST', '/applies', { plan => $plan });
my $applied = wait_for($location);
die "apply: $applied->{state}\n" unless $applied->{state} eq 'done' && $applied->{report}{ok};
print "applied $applied->{report}{apply_id}\n";

operation('unmap_volume', { volume => 'perl-vol', host => 'perl-host' }, allow_disruptive => JSON::PP::true);
operation('delete_volume', { volume => $_ }, allow_destroy => JSON::PP::true) for qw(perl-vol perl-planned);
operation('delete_access_group', { host => 'perl-host' }, allow_destroy => JSON::PP::true);
print "ok\n";
