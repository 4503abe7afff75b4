import { describe, expect, it } from 'vitest';
import { containerRefOf } from '../src/domain/container-ref';

const ID = '3f8f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const POD = '1b2c3d4e-5f60-4718-93a4-b5c6d7e8f901';

describe('containerRefOf', () => {
  it.each([
    [
      'containerd, systemd driver',
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope`,
      { containerId: ID, podUid: POD },
    ],
    [
      'CRI-O',
      `/kubepods.slice/kubepods-pod${POD.replace(/-/g, '_')}.slice/crio-${ID}.scope`,
      { containerId: ID, podUid: POD },
    ],
    ['cgroupfs driver', `/kubepods/besteffort/pod${POD}/${ID}`, { containerId: ID, podUid: POD }],
    ['Docker outside Kubernetes', `/system.slice/docker-${ID}.scope`, { containerId: ID }],
    ['Podman', `/machine.slice/libpod-${ID}.scope`, { containerId: ID }],
    ['a bare cgroup name', `cri-containerd-${ID}.scope`, { containerId: ID }],
    ['a full container id', ID, { containerId: ID }],
    ["Tetragon's truncated id", ID.slice(0, 31), { containerId: ID.slice(0, 31) }],
    ['the pod cgroup itself', `/kubepods/pod${POD}`, { podUid: POD }],
  ])('%s', (_, docker, expected) => {
    expect(containerRefOf({ docker })).toEqual(expected);
  });

  it.each([
    ['no docker field', undefined],
    ['a host service cgroup', '/system.slice/sshd.service'],
    ['a short hex string', 'abc123'],
    ['empty', ''],
  ])('host process: %s', (_, docker) => {
    expect(containerRefOf(docker === undefined ? {} : { docker })).toBeUndefined();
  });
});
