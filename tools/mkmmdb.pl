#!/usr/bin/perl
# Build a small MaxMind DB (.mmdb) from a readable JSON source, for tests and
# benchmarks: the real databases are large and licensed, so tests make their
# own in the layouts the real ones use.
#
#   tools/mkmmdb.pl --schema city|country|asn|flat --in SRC.json --out X.mmdb
#                   [--ip-version 6|4] [--type DATABASE_TYPE]
#
# SRC.json is one object mapping CIDRs (IPv4 or IPv6) to schema-neutral
# records; keys starting with "_" are comments. Record fields, all optional:
#   country, country_name, continent, continent_name, region, region_name,
#   city, lat, lon, asn, as_org
# (country/continent/region are codes: "DE", "EU", "BY").
#
# Each schema lays the record out like the database it imitates:
#   city     GeoLite2-City: country.iso_code, subdivisions[0].names.en, ...
#   country  GeoLite2-Country: continent and country only
#   asn      GeoLite2-ASN: autonomous_system_number/_organization
#   flat     ip-location-db: country_code, state1, city, latitude, longitude
#            (float, like its DB-IP city files, with "" for unknown text),
#            plus the ASN keys when the record has them
# Records that give a schema nothing are left out of that database.
# --ip-version 6 (default) writes an IPv6 tree with IPv4 aliased into it,
# like the real files; 4 writes an IPv4-only tree and skips IPv6 networks.
use strict;
use warnings;
use Getopt::Long;
use JSON::PP;
use MaxMind::DB::Writer::Tree;

my ($schema, $in, $out, $type) = ('', '', '', '');
my $ipv = 6;
GetOptions('schema=s' => \$schema, 'in=s' => \$in, 'out=s' => \$out,
	   'ip-version=i' => \$ipv, 'type=s' => \$type)
	or die "usage: $0 --schema city|country|asn|flat --in SRC.json --out X.mmdb\n";
die "mkmmdb: --schema must be city, country, asn or flat\n"
	unless $schema =~ /^(city|country|asn|flat)$/;
die "mkmmdb: --in and --out are required\n" unless $in ne '' && $out ne '';
die "mkmmdb: --ip-version must be 4 or 6\n" unless $ipv == 4 || $ipv == 6;

open(my $sfh, '<:raw', $in) or die "mkmmdb: $in: $!\n";
my $src = eval { JSON::PP->new->utf8->decode(do { local $/; <$sfh> }) };
die "mkmmdb: $in: not valid JSON: $@" unless ref $src eq 'HASH';
close $sfh;

my %types = (
	# GeoIP2 layout
	continent => 'map', country => 'map', city => 'map', location => 'map',
	subdivisions => ['array', 'map'], names => 'map', en => 'utf8_string',
	code => 'utf8_string', iso_code => 'utf8_string',
	latitude => 'double', longitude => 'double', accuracy_radius => 'uint16',
	autonomous_system_number => 'uint32',
	autonomous_system_organization => 'utf8_string',
	# ip-location-db layout (its "city" is a plain string, see flat_types)
	country_code => 'utf8_string', state1 => 'utf8_string',
	state2 => 'utf8_string', postcode => 'utf8_string',
	timezone => 'utf8_string',
);
my %flat_types = (%types, city => 'utf8_string', latitude => 'float',
		  longitude => 'float');

sub has { defined $_[0] && $_[0] ne '' }
sub named { my ($r, $code, $name, $codekey) = @_;
	my %m;
	$m{$codekey} = $r->{$code} if has($r->{$code});
	$m{names} = { en => $r->{$name} } if has($r->{$name});
	return %m ? \%m : undef;
}
sub asn_part { my $r = shift;
	return () unless has($r->{asn});
	my %m = (autonomous_system_number => 0 + $r->{asn});
	$m{autonomous_system_organization} = $r->{as_org} if has($r->{as_org});
	return %m;
}

# Schema-neutral record -> the schema's record (undef: nothing to store).
sub layout {
	my $r = shift;
	my %m;
	if ($schema eq 'city' || $schema eq 'country') {
		my $c = named($r, 'continent', 'continent_name', 'code');
		my $k = named($r, 'country', 'country_name', 'iso_code');
		$m{continent} = $c if $c;
		$m{country} = $k if $k;
		if ($schema eq 'city') {
			my $s = named($r, 'region', 'region_name', 'iso_code');
			$m{subdivisions} = [$s] if $s;
			$m{city} = { names => { en => $r->{city} } } if has($r->{city});
			$m{location} = { latitude => 0 + $r->{lat},
					 longitude => 0 + $r->{lon},
					 accuracy_radius => 100 }
				if defined $r->{lat} && defined $r->{lon};
		}
	} elsif ($schema eq 'asn') {
		%m = asn_part($r);
	} else {
		if (has($r->{country})) {
			$m{country_code} = $r->{country};
			if (has($r->{city}) || has($r->{region}) || defined $r->{lat}) {
				# Real city files carry every key, "" when unknown.
				$m{state1} = $r->{region_name} // '';
				$m{city} = $r->{city} // '';
				$m{$_} = '' for qw(state2 postcode timezone);
				if (defined $r->{lat} && defined $r->{lon}) {
					$m{latitude} = 0 + $r->{lat};
					$m{longitude} = 0 + $r->{lon};
				}
			}
		}
		%m = (%m, asn_part($r));
	}
	return %m ? \%m : undef;
}

my (@nets, $kind);
$kind = 'asn';
for my $cidr (sort keys %$src) {
	next if $cidr =~ /^_/;
	die "mkmmdb: $in: $cidr: not a CIDR\n" unless $cidr =~ m{^[0-9a-fA-F:.]+/\d+$};
	if ($ipv == 4 && $cidr =~ /:/) {
		warn "mkmmdb: skipping $cidr in an IPv4 database\n";
		next;
	}
	my $rec = layout($src->{$cidr}) or next;
	$kind = 'city' if exists $rec->{city};
	$kind = 'country' if $kind eq 'asn' && exists $rec->{country_code};
	push @nets, [$cidr, $rec];
}

# database_type like the real files: MaxMind's names for the GeoIP2 layouts,
# ip-location-db's "<kind> ipv4|ipvAll" for the flat one.
my %dbtype = (city => 'GeoLite2-City', country => 'GeoLite2-Country',
	      asn => 'GeoLite2-ASN',
	      flat => "$kind " . ($ipv == 4 ? 'ipv4' : 'ipvAll'));
my $tr = $schema eq 'flat' ? \%flat_types : \%types;
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => $ipv,
	record_size => 24,
	database_type => $type ne '' ? $type : $dbtype{$schema},
	languages => ['en'],
	description => { en => "exfild test data ($schema) from " . ($in =~ s{.*/}{}r) },
	map_key_type_callback => sub { $tr->{ $_[0] } // die "mkmmdb: no type for key $_[0]\n" },
	alias_ipv6_to_ipv4 => $ipv == 6 ? 1 : 0,
	# Test data lives in documentation and loopback ranges, which the
	# writer would otherwise drop silently.
	remove_reserved_networks => 0,
);
$tree->insert_network(@$_) for @nets;

# Write beside the target and rename, so a reader never sees half a file.
my $tmp = "$out.tmp.$$";
open(my $ofh, '>:raw', $tmp) or die "mkmmdb: $tmp: $!\n";
$tree->write_tree($ofh);
close($ofh) or die "mkmmdb: $tmp: $!\n";
rename($tmp, $out) or die "mkmmdb: rename to $out: $!\n";
