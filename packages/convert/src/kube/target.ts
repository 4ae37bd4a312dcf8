// What `podman kube play` of a given podman lacks, among what this export
// relies on: each a podman release that fixed it (README "Kubernetes out",
// checked on podman 4.3.1 in test/kube-play.int.test.ts).
import type { PodmanVersion } from "../quadlet/keys.js";
import { targetLacks } from "../target.js";

/**
 * podman before 4.6 gives init containers the pod's restart policy and, under
 * Always, restarts one that ended well, racing kube play's removal of it
 * ("failed to remove once init container", issues 15631 and 16343, PR 18481).
 */
export const INIT_RESTART_FIXED: PodmanVersion = "4.6";
/** podman 4.3 cannot resolve a secretKeyRef to a Secret it played (issue 16269). */
export const SECRET_REF_FIXED: PodmanVersion = "4.4";
/** podman 4.3 fails to play a PersistentVolumeClaim whose volume exists ("volume already exists"). */
export const CLAIM_EXISTS_FIXED: PodmanVersion = "4.4";

export interface KubeUses {
  /** Apps whose restart policy was made OnFailure because of their init containers. */
  downgraded: string[];
  /** Apps exported as Deployments with init containers (always Always). */
  deploymentsWithInit: string[];
  secretObjects: boolean;
  claims: boolean;
}

/** One sentence per fix `target` lacks that this export runs into. */
export function kubeLacks(target: PodmanVersion | undefined, uses: KubeUses): string[] {
  const out: string[] = [];
  const lacks = (since: PodmanVersion) => targetLacks(target, since);
  if (lacks(INIT_RESTART_FIXED) && uses.downgraded.length)
    out.push(
      `podman ${target} restarts init containers under restartPolicy Always (fixed in ${INIT_RESTART_FIXED}): ${uses.downgraded.join(", ")} ${uses.downgraded.length === 1 ? "is" : "are"} exported with OnFailure, so an exit with status 0 is not restarted.`,
    );
  if (lacks(INIT_RESTART_FIXED) && uses.deploymentsWithInit.length)
    out.push(
      `podman ${target} restarts the init containers of a Deployment (fixed in ${INIT_RESTART_FIXED}), and kube play can fail for ${uses.deploymentsWithInit.join(", ")}: export Pods instead.`,
    );
  if (lacks(SECRET_REF_FIXED) && uses.secretObjects)
    out.push(
      `podman ${target} cannot give a container a value of a Secret it played (secretKeyRef, podman issue 16269, fixed in ${SECRET_REF_FIXED}): export without the Secrets (--no-secrets) and create each as a podman secret holding its data as JSON.`,
    );
  if (lacks(CLAIM_EXISTS_FIXED) && uses.claims)
    out.push(
      `podman ${target} fails to play a PersistentVolumeClaim whose volume exists (fixed in ${CLAIM_EXISTS_FIXED}): after the first play, play the file without the PersistentVolumeClaim documents (the pods reuse the volumes by claimName).`,
    );
  return out;
}
