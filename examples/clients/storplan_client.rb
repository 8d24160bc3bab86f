# A storplan served-API client in Ruby with the standard library only (net/http, json).
#
#   STORPLAN_URL=https://127.0.0.1:8443 STORPLAN_TOKEN=stp_... STORPLAN_CA=ca.pem \
#   STORPLAN_ARRAY=array1 ruby storplan_client.rb
#
# Creates a volume and a host, maps the volume, waits for each job, lists, plans and applies
# a manifest, then deletes what it made.
require "json"
require "net/http"
require "openssl"
require "uri"

URL, TOKEN, CA, ARRAY = %w[STORPLAN_URL STORPLAN_TOKEN STORPLAN_CA STORPLAN_ARRAY].map do |name|
  ENV.fetch(name) { abort "set #{name}" }
end
base = URI(URL)
HTTP = Net::HTTP.new(base.host, base.port)
HTTP.use_ssl = base.scheme == "https"
HTTP.ca_file = CA
HTTP.verify_mode = OpenSSL::SSL::VERIFY_PEER
HTTP.start

def call(method, path, body = nil)
  request = Net::HTTP.const_get(method.capitalize).new(path)
  request["Authorization"] = "Bearer #{TOKEN}"
  request["Content-Type"] = "application/json"
  request.body = JSON.generate(body) unless body.nil?
  response = HTTP.request(request)
  data = response.body.to_s.empty? ? nil : JSON.parse(response.body)
  unless response.code.to_i < 300
    raise "#{method} #{path}: #{response.code} #{data && "#{data["code"]}: #{data["detail"]}"}"
  end
  [data, response["location"]]
end

def wait_for(location) # poll a job (or apply job) until it is no longer running
  1200.times do
    job, = call("GET", location)
    return job unless job["state"] == "running"
    sleep 0.05
  end
  raise "#{location} still running"
end

def operation(name, params, **consent)
  _, location = call("POST", "/arrays/#{ARRAY}/operations/#{name}", { params: params, **consent })
  done = wait_for(location)
  raise "#{name}: #{done["state"]}" unless done["state"] == "succeeded"
  done
end

volume = operation("create_volume", { volume: "ruby-vol", pool: "ssd", size: 1 << 30, thin: true })
puts "created volume #{volume["result"]["id"]}"
operation("create_access_group", { host: "ruby-host", initiators: ["iqn.2024-01.com.example:ruby"] })
mapped = operation("map_volume", { volume: "ruby-vol", host: "ruby-host", lun: nil })
puts "mapped at LUN #{mapped["result"]["lun"]}"
volumes, = call("GET", "/arrays/#{ARRAY}/volumes")
raise "ruby-vol not listed" unless volumes.any? { |v| v["name"] == "ruby-vol" }
puts "#{volumes.length} volumes"

manifest = <<~YAML
  apiVersion: storplan.io/v1
  kind: StorageState
  metadata: {name: ruby-client}
  arrays:
    - name: #{ARRAY}
      provider: sim://
      system: sim-array-1
      pools: [{name: ssd}]
      volumes:
        - {name: ruby-planned, pool: ssd, size: 1GiB, thin: true}
YAML
plan, = call("POST", "/plans", { manifest: manifest })
puts "#{plan["actions"].length} planned action(s)"
_, location = call("POST", "/applies", { plan: plan })
applied = wait_for(location)
raise "apply: #{applied["state"]}" unless applied["state"] == "done" && applied["report"]["ok"]
puts "applied #{applied["report"]["apply_id"]}"

operation("unmap_volume", { volume: "ruby-vol", host: "ruby-host" }, allow_disruptive: true)
%w[ruby-vol ruby-planned].each { |v| operation("delete_volume", { volume: v }, allow_destroy: true) }
operation("delete_access_group", { host: "ruby-host" }, allow_destroy: true)
puts "ok"
